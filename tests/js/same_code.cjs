// Prints the scripts (pairs: source, minified) whose syntax trees differ, as acorn parses them:
// minifying may drop comments and whitespace, never change the code (tests/test_minify.py).
const fs = require("node:fs");
const acorn = require("acorn");

/** The tree without positions: what the code is, not where it stands. @param {string} text */
function tree(text) {
  const ast = acorn.parse(text, { ecmaVersion: "latest", sourceType: "module" });
  return JSON.stringify(ast, (key, value) => (key === "start" || key === "end" ? undefined : value));
}

const files = process.argv.slice(2);
let failed = 0;
for (let i = 0; i < files.length; i += 2) {
  try {
    if (tree(fs.readFileSync(files[i], "utf8")) !== tree(fs.readFileSync(files[i + 1], "utf8"))) {
      failed += 1;
      console.log(`${files[i]}: the minified code is not the same code`);
    }
  } catch (error) {
    failed += 1;
    console.log(`${files[i]}: ${error}`);
  }
}
process.exit(failed ? 1 : 0);
