// Runs Lighthouse once on each page bench/lighthouse.py asks for, in Debian's Chromium.
//
//   node bench/lighthouse/run.mjs < job.json
//
// job.json: {"base": "http://127.0.0.1:PORT", "cookie": {"name", "value"}, "out": "folder",
//            "chromium": "/usr/bin/chromium", "args": [...],
//            "pages": [{"name", "path", "phone": bool, "trip_step": bool}]}
// Each page gets a fresh Chromium (a new profile: empty HTTP cache, no service worker), so one
// page's visit does not warm the next. Lighthouse keeps its default mobile settings (Moto G
// Power, simulated slow 4G and 4x CPU). Writes OUT/NAME.json (the full report) and prints one
// line of JSON per page with its scores. A page whose load Lighthouse could not trace is run
// again, at most 3 times in all.

import { readFileSync, writeFileSync } from "node:fs";
import lighthouse from "lighthouse";
import puppeteer from "puppeteer-core";

const job = JSON.parse(readFileSync(0, "utf8"));
const CATEGORIES = ["performance", "accessibility", "best-practices"];

/** Starts a trip and leaves it at its first step, kept in the phone's IndexedDB: opened again,
 * trip mode shows that step, as it does when the person comes back mid-trip. */
async function startTrip(browser, url) {
  const page = await browser.newPage();
  await page.goto(url, { waitUntil: "networkidle0" });
  await page.waitForSelector("#start-trip:not([hidden])");
  await page.click("#start-trip");
  // With the feelings check on, the trip asks first; going on without choosing is one tap.
  const feeling = await page.$("#trip-feeling:not([hidden]) [data-feeling='']");
  if (feeling) await feeling.click();
  await page.waitForSelector("#trip-step:not([hidden])");
  // The step is written to IndexedDB in one transaction after the tap, and the service worker
  // may still be installing: let both finish before Lighthouse clears the worker and loads.
  await page.evaluate(() =>
    Promise.race([navigator.serviceWorker?.ready, new Promise((r) => setTimeout(r, 5000))]),
  );
  await new Promise((resolve) => setTimeout(resolve, 500));
  await page.close();
}

/** One Lighthouse run on one page, in a Chromium of its own; returns Lighthouse's result. */
async function measure(spec) {
  const browser = await puppeteer.launch({
    executablePath: job.chromium,
    headless: true,
    args: job.args,
    defaultViewport: null,
  });
  try {
    const url = job.base + spec.path;
    if (spec.phone) {
      await browser.setCookie({ ...job.cookie, url: job.base });
    }
    if (spec.trip_step) await startTrip(browser, url);
    const page = await browser.newPage();
    // Default settings: Lighthouse clears the service worker, Cache Storage and the HTTP cache
    // before loading, but not cookies or IndexedDB (so the phone stays linked, and a started
    // trip shows its step).
    return await lighthouse(
      url,
      { output: "json", logLevel: "error", onlyCategories: CATEGORIES },
      undefined,
      page,
    );
  } finally {
    await browser.close();
  }
}

for (const spec of job.pages) {
  // On a busy machine Chromium now and then loses the trace of the load (NO_NAVSTART, "run
  // Lighthouse again"): such a run has no scores at all, so it is run again, and the retry is
  // reported. A run that has scores is never run again.
  let result;
  let attempts = 0;
  do {
    attempts += 1;
    result = await measure(spec);
  } while (result.lhr.runtimeError && attempts < 3);
  const lhr = result.lhr;
  writeFileSync(`${job.out}/${spec.name}.json`, result.report);
  if (lhr.runtimeError) {
    console.log(
      JSON.stringify({ name: spec.name, attempts, runtime_error: lhr.runtimeError.message }),
    );
    continue;
  }
  const scores = Object.fromEntries(CATEGORIES.map((c) => [c, lhr.categories[c].score]));
  const failing = Object.values(lhr.audits)
    // Lighthouse counts 0.9 and over as passed.
    .filter((a) => a.score !== null && a.score < 0.9 && a.scoreDisplayMode !== "informative")
    .map((a) => a.id);
  console.log(
    JSON.stringify({
      name: spec.name,
      attempts,
      final_url: lhr.finalDisplayedUrl,
      runtime_error: null,
      scores,
      metrics: {
        fcp_ms: lhr.audits["first-contentful-paint"].numericValue,
        lcp_ms: lhr.audits["largest-contentful-paint"].numericValue,
        tbt_ms: lhr.audits["total-blocking-time"].numericValue,
        cls: lhr.audits["cumulative-layout-shift"].numericValue,
        si_ms: lhr.audits["speed-index"].numericValue,
      },
      failing,
    }),
  );
}
