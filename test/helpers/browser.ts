// Debian's chromium (apt-get install chromium; .ci/run installs it) driven by playwright-core,
// for tests of pages: headless, no sandbox (CI runs as root), nothing reaching the network on its
// own, and playwright's fresh temporary profile per launch.
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
