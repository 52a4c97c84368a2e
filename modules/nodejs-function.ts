import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { AssetType, TerraformAsset } from 'cdktf';
import { Construct } from 'constructs';
import * as naming from '../config/naming';
import type { AwsContext } from './aws-context';
import { bundleFunction, type ExtraFileBytes, type FunctionBundle } from './bundle';
import { assumeRolePolicy, policyJson, type PolicyStatement } from './iam';

/** The Lambda runtime of every function (Node.js 20 reached end of life in April 2026). */
export const LAMBDA_RUNTIME = 'nodejs22.x';

export interface NodejsFunctionProps {
  /** Folder under `functions/` holding `handler.ts`. */
  readonly source: string;
  /** Physical function name, from `config/naming`. */
  readonly functionName: string;
  readonly context: AwsContext;
  /** Retention of the function's log group, in days. */
  readonly logRetentionDays: number;
  /** @default 256 */
  readonly memoryMiB?: number;
  /** @default 30 */
  readonly timeoutSeconds?: number;
  /** @default {} */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Files bundled next to `index.js` (for example a routing table).
   * @default {}
   */
  readonly extraFiles?: Readonly<Record<string, string | ExtraFileBytes>>;
  /**
   * Asset folder under `dist/assets/`. Set it when extra files differ between stacks.
   * @default the source folder name
   */
  readonly assetName?: string;
  /** @default 'Lambda function' */
  readonly description?: string;
}

/**
 * A Node.js Lambda bundled with esbuild at synth, with its own log group (created here, with
 * retention, before the function can create one without), and an execution role that can only
 * write to that log group. Callers add one policy per further concern with `addPolicy`.
 */
export class NodejsFunction extends Construct {
  public readonly function: LambdaFunction;
  public readonly role: IamRole;
  public readonly logGroup: CloudwatchLogGroup;
  /** The bundled code: its asset folder (content-addressed), handler file and hash. */
  public readonly bundle: FunctionBundle;
  private readonly roleName: string;

  public constructor(scope: Construct, id: string, props: NodejsFunctionProps) {
    super(scope, id);
    const { context } = props;
    const logGroupName = naming.functionLogGroupName(props.functionName);
    this.roleName = naming.functionRoleName(props.functionName);

    this.logGroup = new CloudwatchLogGroup(this, 'log-group', {
      name: logGroupName,
      retentionInDays: props.logRetentionDays,
    });

    this.role = new IamRole(this, 'role', {
      name: this.roleName,
      description: `Execution role of ${props.functionName}`,
      assumeRolePolicy: assumeRolePolicy('lambda.amazonaws.com'),
    });
    this.addPolicy('logs', {
      Sid: 'WriteOwnLogs',
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: [context.arn('logs', `log-group:${logGroupName}:log-stream:*`)],
    });

    const bundle = (this.bundle = bundleFunction({
      name: props.source,
      outDir: `dist/assets/${props.assetName ?? props.source}`,
      ...(props.extraFiles ? { extraFiles: props.extraFiles } : {}),
    }));
    const asset = new TerraformAsset(this, 'code', { path: bundle.dir, type: AssetType.ARCHIVE });

    this.function = new LambdaFunction(this, 'function', {
      functionName: props.functionName,
      description: props.description ?? 'Lambda function',
      runtime: LAMBDA_RUNTIME,
      architectures: ['arm64'],
      handler: 'index.handler',
      filename: asset.path,
      // Tied to the bundle's content, not the zip bytes (which change with file times).
      sourceCodeHash: bundle.sourceHash,
      role: this.role.arn,
      memorySize: props.memoryMiB ?? 256,
      timeout: props.timeoutSeconds ?? 30,
      // Text format: the handlers already write one JSON object per line (EMF included).
      loggingConfig: { logFormat: 'Text', logGroup: this.logGroup.name },
      ...(props.environment && Object.keys(props.environment).length > 0
        ? { environment: { variables: { ...props.environment } } }
        : {}),
      dependsOn: [this.logGroup],
    });
  }

  /** Adds one inline policy for one concern (for example "firehose" or "dlq"). */
  public addPolicy(concern: string, ...statements: PolicyStatement[]): IamRolePolicy {
    return new IamRolePolicy(this, `policy-${concern}`, {
      name: concern,
      role: this.role.id,
      policy: policyJson(...statements),
    });
  }
}
