/**
 * Render a run's report.html in headless Chromium and fail on console errors, page errors or
 * images that did not decode; save a screenshot beside the report.
 *
 *   node --import tsx spec/browser/check-report.ts runs/<name>/report.html [screenshot.png]
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { closeAndReport, navigate, openPage } from './cdp.js';

const [reportArg, shotArg] = process.argv.slice(2);
if (!reportArg) {
  console.error('usage: check-report.ts REPORT.html [SCREENSHOT.png]');
  process.exit(2);
}
const report = resolve(reportArg);
const shot = resolve(shotArg ?? report.replace(/\.html$/, '.png'));
const problems: string[] = [];

const timeout = setTimeout(() => {
  console.error('check-report: timed out after 60 s');
  process.exit(1);
}, 60_000);

const page = await openPage({ width: 1280, height: 2000 });
try {
  await navigate(page, pathToFileURL(report).href);
  const list = JSON.parse(
    await page.evaluate<string>('JSON.stringify([...document.images].map(i => ({ src: i.dataset.src || i.src.slice(0, 40), ok: i.complete && i.naturalWidth > 0 })))'),
  ) as Array<{ src: string; ok: boolean }>;
  for (const img of list) if (!img.ok) problems.push(`image did not load: ${img.src}`);
  const svgs = await page.evaluate<number>('document.querySelectorAll("svg").length');
  const png = await page.send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true });
  writeFileSync(shot, Buffer.from(png.data as string, 'base64'));
  console.log(`check-report: ${list.length} images, ${svgs} charts, screenshot ${shot}`);
  if (list.length === 0) problems.push('the report shows no images');
} catch (e) {
  problems.push((e as Error).message);
} finally {
  clearTimeout(timeout);
  await closeAndReport('check-report', page, problems);
}
if (problems.length === 0) console.log('check-report: no console errors, every image decoded');
