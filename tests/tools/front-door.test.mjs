// The front door: a fresh clone's first `npm start` or `npm test` runs scripts/setup.sh, and the
// tree must still be clean afterwards (a rewritten package-lock.json means the committed lock was
// incomplete, and that `npm ci` could not have installed it).
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ROOT } from "../../tools/wrangler-dev.mjs";

// What decides the npm install. The clone takes the working tree's copies so that the test checks
// what is about to be committed; on a committed tree they equal HEAD's.
const INSTALL_FILES = ["package.json", "package-lock.json", ".gitignore", "scripts/setup.sh", "scripts/env.sh"];

const git = (cwd, ...args) => execFileSync("git", args, { cwd, encoding: "utf8" });
const commitAll = (cwd, message) =>
  git(cwd, "-c", "user.name=front-door", "-c", "user.email=front-door@test.invalid", "commit", "-qam", message);

function freshClone() {
  const dir = mkdtempSync(join(tmpdir(), "ponte-front-door-"));
  const clone = join(dir, "ponte");
  git(ROOT, "clone", "--quiet", "--no-hardlinks", ROOT, clone);
  for (const file of INSTALL_FILES) copyFileSync(join(ROOT, file), join(clone, file));
  if (git(clone, "status", "--porcelain")) commitAll(clone, "the working tree's install files");
  return { dir, clone };
}

const setupNpm = (clone) => spawnSync("bash", ["scripts/setup.sh", "npm"], { cwd: clone, encoding: "utf8" });

// Every optional dependency of every locked package must itself be locked, whatever the platform:
// an entry missing for macOS's workerd is what makes `npm install` rewrite the lock on a Mac.
function unlockedOptionals(lock) {
  const missing = [];
  for (const [path, entry] of Object.entries(lock.packages)) {
    for (const name of Object.keys(entry.optionalDependencies ?? {})) {
      if (!resolvesInLock(lock, path, name)) missing.push(`${path || "(root)"} -> ${name}`);
    }
  }
  return missing;
}

function resolvesInLock(lock, fromPath, name) {
  // Node's lookup: the package's own node_modules, then each enclosing one, up to the root's.
  let base = fromPath;
  for (;;) {
    if (lock.packages[`${base ? `${base}/` : ""}node_modules/${name}`]) return true;
    if (!base) return false;
    const cut = base.lastIndexOf("node_modules/");
    base = cut <= 0 ? "" : base.slice(0, cut - 1);
  }
}

const otherPlatforms = /^node_modules\/(@cloudflare\/workerd-(darwin|windows)|@esbuild\/(darwin|win32))/;
const withoutOtherPlatforms = (lock) => ({
  ...lock,
  packages: Object.fromEntries(Object.entries(lock.packages).filter(([path]) => !otherPlatforms.test(path))),
});

test("the committed lock records every platform's optional packages", () => {
  const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8"));
  assert.deepEqual(unlockedOptionals(lock), []);
  assert.ok(unlockedOptionals(withoutOtherPlatforms(lock)).some((gap) => gap.includes("workerd-darwin-arm64")),
    "a lock with this platform's binaries only is told apart");
});

test("a fresh clone is clean after setup installs its npm packages, and a second setup is quick", { timeout: 180_000 }, () => {
  const { dir, clone } = freshClone();
  try {
    const first = setupNpm(clone);
    assert.equal(first.status, 0, `setup failed:\n${first.stdout}\n${first.stderr}`);
    assert.match(first.stdout, /installing npm packages/);
    assert.equal(git(clone, "status", "--porcelain"), "", "setup left the fresh clone dirty");
    // The python step's venv (too slow to build here) lives in the tree too: it must be ignored.
    assert.equal(spawnSync("git", ["check-ignore", "-q", ".venv/bin/st"], { cwd: clone }).status, 0, ".venv/ is not git-ignored");
    const wrangler = JSON.parse(readFileSync(join(clone, "node_modules/wrangler/package.json"), "utf8"));
    const locked = JSON.parse(readFileSync(join(clone, "package-lock.json"), "utf8"));
    assert.equal(wrangler.version, locked.packages["node_modules/wrangler"].version, "the locked wrangler is installed");

    const second = setupNpm(clone);
    assert.equal(second.status, 0, second.stderr);
    assert.doesNotMatch(second.stdout, /installing npm packages/, "an install already done is not repeated");

    // A lock that knows only this platform's binaries is refused, never quietly rewritten (what
    // `npm install` did, leaving every other platform's clone dirty).
    const lockFile = join(clone, "package-lock.json");
    const partial = withoutOtherPlatforms(JSON.parse(readFileSync(lockFile, "utf8")));
    writeFileSync(lockFile, `${JSON.stringify(partial, null, 2)}\n`);
    commitAll(clone, "a lock with this platform's binaries only");
    const partialSetup = setupNpm(clone);
    assert.notEqual(partialSetup.status, 0, "setup took a lock that lacks other platforms' packages");
    assert.equal(git(clone, "status", "--porcelain"), "", "setup rewrote the committed lock");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
