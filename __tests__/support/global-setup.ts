import { bundleProcessor } from '../../functions/bundle';

/** Both architectures: arm64 is the default, x86_64 is the one this machine can load and run in the bundle test. */
export default function globalSetup(): void {
  bundleProcessor({ architecture: 'arm64' });
  bundleProcessor({ architecture: 'x86_64' });
}
