import { Testing } from 'cdktf';
// Brings the cdktf matchers' types (toHaveResourceWithProperties...) into the type check.
import 'cdktf/lib/testing/adapters/jest';

Testing.setupJest();

// The AWS SDK warns once per process that its 2027 releases will need Node 22; the pinned version runs on Node 20,
// and the warning says nothing about the code under test.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
