/**
 * Headless Chromium for the report's browser tests, from the npm registry alone: `@sparticuz/chromium`
 * ships a Chromium build inside the package and extracts it to the temporary directory on first use,
 * so `npm test` needs no system browser, no apt and no root.
 */
import Chromium from "@sparticuz/chromium"
import { chromium, type Browser } from "playwright-core"

/** Launches the packaged headless Chromium; close the browser when done. */
export const launchHeadlessChromium = async (): Promise<Browser> =>
  chromium.launch({ executablePath: await Chromium.executablePath(), args: Chromium.args })
