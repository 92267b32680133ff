// Re-renders bench/results/latest.md from latest.json (after a change to the table's layout).
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../tools/wrangler-dev.mjs";
import { render } from "./lib/report.mjs";

const file = join(ROOT, "bench/results/latest.json");
const results = JSON.parse(readFileSync(file, "utf8"));
const { markdown } = render(results);
writeFileSync(join(ROOT, "bench/results/latest.md"), markdown);
console.log(markdown);
