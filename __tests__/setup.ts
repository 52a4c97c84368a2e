import { setupJest } from 'cdktf/lib/testing/adapters/jest';

// Registers cdktf's matchers (toHaveResource, toHaveResourceWithProperties, ...).
setupJest();

// The same no-op that synth uses (stacks/no-token-stack-traces.ts): cdktf's per-token stack
// traces are several times slower under jest's source-mapping transform.
jest.mock('cdktf/lib/tokens/private/stack-trace', () => ({ captureStackTrace: (): string[] => [] }));
