// Types of cdktf's jest matchers (toHaveResource, toHaveResourceWithProperties, ...): the entry
// point cdktf's project template imports for them. Type-only: erased at run time. The one cdktf
// internal path tests may name (__tests__/toolchain/imports.test.ts).
import type {} from 'cdktf/lib/testing/adapters/jest';
import { CDKTF_STACK_TRACE_MODULE, NO_STACK_TRACE } from '../stacks/no-token-stack-traces';

// The same no-op that synth uses (stacks/no-token-stack-traces.ts): cdktf's per-token stack traces
// are several times slower under jest's source-mapping transform. Jest has its own module registry,
// so the no-op is registered as a mock, before anything loads cdktf.
jest.doMock(CDKTF_STACK_TRACE_MODULE, () => NO_STACK_TRACE);

// Registers cdktf's matchers through its public API (`Testing.setupJest()`, as cdktf's unit-test
// documentation says), loaded after the mock so that cdktf's tokens bind to the no-op.
// eslint-disable-next-line @typescript-eslint/no-require-imports
(require('cdktf') as typeof import('cdktf')).Testing.setupJest();
