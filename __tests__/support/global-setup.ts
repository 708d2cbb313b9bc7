import { bundleProcessor } from '../../packaging/bundle';
import { findTerraform } from '../../plan-review/terraform';

export default function globalSetup(): void {
  // Both architectures: arm64 is the default, x86_64 is the one this machine can load and run in the bundle test.
  bundleProcessor({ architecture: 'arm64' });
  bundleProcessor({ architecture: 'x86_64' });
  // Jest prints nothing from a skipped suite, so the reason the Terraform suite skips is said here.
  const lookup = findTerraform();
  if ('unavailable' in lookup) process.stderr.write(`\nSkipping terraform validate and plan: ${lookup.unavailable}\n`);
}
