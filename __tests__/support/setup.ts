import { Testing } from 'cdktf';
// Brings the cdktf matchers' types (toHaveResourceWithProperties...) into the type check.
import 'cdktf/lib/testing/adapters/jest';

Testing.setupJest();
