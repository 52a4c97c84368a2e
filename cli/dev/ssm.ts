/**
 * Local Parameter Store: the environment's parameters with the values Terraform evaluated
 * (aws_ssm_parameter), read-only, over the AWS JSON 1.1 protocol (`X-Amz-Target: AmazonSSM.<Op>`).
 *
 * GetParameter, GetParameters and GetParametersByPath, as the SSM API Reference gives them:
 * GetParametersByPath returns the parameters directly under the path (or under it at any depth
 * with Recursive), at most MaxResults (1-10, default 10) per page with a NextToken, and a path
 * must start with "/". Values are returned as stored (no KMS decryption is modelled: a
 * SecureString's value is its evaluated plain text).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, sendAwsJson, sendAwsJsonError } from './http';
import type { LocalParameter } from './resources';

class SsmFailure extends Error {
  public constructor(
    public readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

export class LocalSsm {
  private readonly byName: Map<string, LocalParameter>;

  public constructor(parameters: readonly LocalParameter[]) {
    this.byName = new Map(parameters.map((p) => [p.name, p]));
  }

  public async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const op = String(req.headers['x-amz-target'] ?? '').replace(/^AmazonSSM\./, '');
    try {
      const input = JSON.parse((await readBody(req, 1024 * 1024)).toString('utf8') || '{}') as Record<string, unknown>;
      sendAwsJson(res, this.answer(op, input));
    } catch (err) {
      if (err instanceof SsmFailure) sendAwsJsonError(res, 400, err.type, err.message);
      else sendAwsJsonError(res, 400, 'ValidationException', (err as Error).message);
    }
  }

  private out(p: LocalParameter): Record<string, unknown> {
    return { Name: p.name, Type: p.type, Value: p.value, Version: p.version, ARN: p.arn, DataType: 'text', LastModifiedDate: 0 };
  }

  private answer(op: string, input: Record<string, unknown>): unknown {
    switch (op) {
      case 'GetParameter': {
        const p = this.byName.get(String(input.Name ?? ''));
        if (p === undefined) throw new SsmFailure('ParameterNotFound', `Parameter ${String(input.Name)} not found.`);
        return { Parameter: this.out(p) };
      }
      case 'GetParameters': {
        const names = Array.isArray(input.Names) ? input.Names.map(String) : [];
        if (names.length > 10) throw new SsmFailure('ValidationException', 'Names has more than 10 entries');
        return { Parameters: names.flatMap((n) => (this.byName.has(n) ? [this.out(this.byName.get(n)!)] : [])), InvalidParameters: names.filter((n) => !this.byName.has(n)) };
      }
      case 'GetParametersByPath': {
        const p = String(input.Path ?? '');
        if (!p.startsWith('/')) throw new SsmFailure('ValidationException', 'The parameter path must start with "/"');
        const max = input.MaxResults === undefined ? 10 : Number(input.MaxResults);
        if (!Number.isInteger(max) || max < 1 || max > 10) throw new SsmFailure('ValidationException', 'MaxResults must be from 1 to 10');
        const base = p.endsWith('/') ? p : `${p}/`;
        const all = [...this.byName.values()]
          .filter((x) => x.name.startsWith(base) && (input.Recursive === true || !x.name.slice(base.length).includes('/')))
          .sort((a, b) => (a.name < b.name ? -1 : 1));
        const start = typeof input.NextToken === 'string' ? Number(Buffer.from(input.NextToken, 'base64url').toString('utf8')) : 0;
        const page = all.slice(start, start + max);
        const next = start + max < all.length ? Buffer.from(String(start + max), 'utf8').toString('base64url') : undefined;
        return { Parameters: page.map((x) => this.out(x)), ...(next !== undefined ? { NextToken: next } : {}) };
      }
      default:
        throw new SsmFailure('UnsupportedOperation', `the local Parameter Store does not implement ${op} (it is read-only)`);
    }
  }
}
