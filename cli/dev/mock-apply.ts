/**
 * The stack evaluator the runtime uses: the project's one Terraform evaluation module,
 * scripts/aws-rules/state.ts (`mockApplyState`: a mock-provider apply whose resources carry the
 * identities AWS derives from their names, so references evaluate to distinct, well-formed ARNs,
 * URLs and ids), adapted to ./evaluate.ts's small interface. `terraform validate` and the plan run
 * are skipped: the runtime needs the applied values, and `npm run validate` checks the stacks.
 */
import { providerContexts, TerraformChecker } from '../../scripts/terraform-check';
import { mockApplyState, mockStateOptions } from '../../scripts/aws-rules/state';
import { DevCannotRunError } from './errors';
import type { StackEvaluator } from './evaluate';

export const mockApplyEvaluator: StackEvaluator = {
  version: 'aws-rules-state-apply-only-1',
  async apply(stackDir) {
    let applied: Awaited<ReturnType<typeof mockApplyState>>;
    try {
      const checker = await TerraformChecker.create({ mockState: { ...mockStateOptions({ skipValidate: true }), applyOnly: true } });
      try {
        applied = await mockApplyState(stackDir, { checker });
      } finally {
        checker.dispose();
      }
    } catch (err) {
      throw new DevCannotRunError(`the mock-provider apply of ${stackDir} cannot run: ${(err as Error).message}`, { cause: err });
    }
    if (!applied.ok || applied.state === undefined) {
      const failed = applied.result.phases.filter((p) => !p.ok && !p.skipped);
      const detail = failed.map((p) => `${p.phase}: ${p.diagnostics.map((d) => `${d.summary}${d.detail !== undefined ? ` (${d.detail})` : ''}`).join('; ') || (p.output ?? '')}`).join('\n');
      throw new DevCannotRunError(`the mock-provider apply of ${stackDir} failed:\n${detail}`);
    }
    const context = providerContexts(applied.config)[0]!.context;
    return {
      resources: applied.state.resources.filter((r) => r.mode === 'managed').map((r) => ({ address: r.address, type: r.type, name: r.name, values: r.values })),
      context,
      providerVersion: applied.result.provider?.version ?? 'unknown',
    };
  },
};
