/**
 * The stack evaluator the runtime uses: a mock-provider apply through the project's Terraform
 * evaluation module, adapted to ./evaluate.ts's small interface. This file is the only place that
 * knows which module that is.
 */
import { mockApplyState } from '../../__tests__/hot-path/terraform-eval';
import type { StackEvaluator } from './evaluate';

export const mockApplyEvaluator: StackEvaluator = {
  version: 'hot-path-terraform-eval-1',
  async apply(stackDir) {
    const s = await mockApplyState(stackDir);
    return {
      resources: s.resources.map((r) => ({ address: r.address, type: r.type, name: r.address.slice(r.type.length + 1), values: r.values })),
      context: s.context,
      providerVersion: s.providerVersion,
    };
  },
};
