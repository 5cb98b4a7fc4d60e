// One benchmark suite in its own process (run by bench/run.mjs with
// --expose-gc): progress on stderr, the figures as JSON on stdout.
const [suite, optsJson] = process.argv.slice(2);
const { run } = await import(`../suites/${suite}.mjs`);
const figures = await run(JSON.parse(optsJson));
process.stdout.write(JSON.stringify(figures) + '\n');
