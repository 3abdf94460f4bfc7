// Breaks backward kernels (and references) one at a time, in the ways a real bug would (a
// flipped sign, a dropped term, a swapped index, a wrong tie rule), runs the tests named for
// each (its own `tests`, else those of its list: scripts/mutations.mjs, testsFor), and requires
// one of them to fail: on an assertion, or on an error the engine raises inside the test. A run
// that fails otherwise (the mutated WGSL does not compile, vitest does not start) is "not
// applicable", never "caught". Every file is restored afterwards.
//   node scripts/mutation-check.mjs              a sample: 12 of the list by name, evenly apart,
//                                                starting one further with each commit (so every
//                                                mutation runs in turn), and the mutations of the
//                                                files the last commit touched (at most 12 more)
//   node scripts/mutation-check.mjs --all        the whole list (npm run test:mutations -- --all)
//   node scripts/mutation-check.mjs conv2d relu  those whose name contains either
// Prints one line per mutation and "mutations: C caught, S survived, N not applicable";
// exits 1 if any survived.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { mutationLists, testsFor } from './mutations.mjs';

const SAMPLE = 12;
const CHANGED_AT_MOST = 12;

/** The stride closest to length / SAMPLE that shares no factor with the length. */
function coprimeStride(length) {
  const gcd = (a, b) => (b === 0 ? a : gcd(b, a % b));
  let stride = Math.max(1, Math.floor(length / SAMPLE));
  while (gcd(stride, length) !== 1) stride += 1;
  return stride;
}

const args = process.argv.slice(2);
const all = mutationLists().sort((a, b) => a.name.localeCompare(b.name));
const git = (...gitArgs) => spawnSync('git', gitArgs, { encoding: 'utf8' });

function sample() {
  // The commit's place in the history; in a shallow clone, which has none, its hash.
  const shallow = git('rev-parse', '--is-shallow-repository').stdout.trim() === 'true';
  const commits = shallow
    ? Number.parseInt(git('rev-parse', 'HEAD').stdout.slice(0, 8), 16) || 0
    : Number(git('rev-list', '--count', 'HEAD').stdout.trim()) || 0;
  // SAMPLE mutations `stride` apart (the stride and the list's length share no factor, so they are
  // distinct), starting one further along the list with each commit: all are run in turn.
  const stride = coprimeStride(all.length);
  const offset = commits % all.length;
  const rotating = Array.from(
    { length: Math.min(SAMPLE, all.length) },
    (_, k) => all[(offset + k * stride) % all.length],
  );
  const changed = new Set(git('diff', '--name-only', 'HEAD~1', 'HEAD').stdout.split('\n').filter(Boolean));
  const touched = all.filter(
    (mutation) => !rotating.includes(mutation) && (changed.has(mutation.file) || changed.has(mutation.list)),
  );
  console.log(
    `mutation sample: ${rotating.length} of ${all.length} (every ${stride}th from ${offset}, commit ${commits}), ` +
      `${Math.min(touched.length, CHANGED_AT_MOST)} of the ${touched.length} in files the last commit touched`,
  );
  return [...rotating, ...touched.slice(0, CHANGED_AT_MOST)];
}

const filters = args.filter((arg) => !arg.startsWith('--'));
const selected = args.includes('--all')
  ? all
  : filters.length > 0
    ? all.filter(({ name }) => filters.some((filter) => name.includes(filter)))
    : sample();

mkdirSync('.cache', { recursive: true });
const report = '.cache/mutation-vitest.json';
const outcomes = { caught: [], survived: [], notApplicable: [] };

/** What a vitest run under a mutation shows: caught (an assertion failed), survived, or not applicable. */
function judge(run) {
  let results;
  try {
    results = JSON.parse(readFileSync(report, 'utf8'));
  } catch {
    return {
      outcome: 'notApplicable',
      why: `vitest wrote no results (exit ${run.status}): ${(run.stderr || run.stdout).trim().split('\n').at(-1)}`,
    };
  }
  const failed = results.testResults.flatMap((file) =>
    file.assertionResults.filter((test) => test.status === 'failed'),
  );
  const onAssertion = failed.filter((test) => test.failureMessages.some((message) => /AssertionError/.test(message)));
  if (onAssertion.length > 0)
    return { outcome: 'caught', why: `${onAssertion.length} tests failed, first: ${onAssertion[0].fullName}` };
  // A test that ran and failed on an error the engine raised (the GPU rejecting what the mutated
  // code submitted) caught it too; an error before any test ran (a kernel that does not compile,
  // code that does not load) did not.
  const onError = failed.filter(
    (test) => !test.failureMessages.some((message) => /ShaderCompileError|SyntaxError|Cannot find/.test(message)),
  );
  if (onError.length > 0)
    return {
      outcome: 'caught',
      why: `${onError.length} tests failed on an error, first: ${onError[0].fullName}: ${onError[0].failureMessages[0].split('\n')[0]}`,
    };
  if (results.success && results.numPassedTests > 0)
    return { outcome: 'survived', why: `${results.numPassedTests} tests passed` };
  if (results.numPassedTests === 0 && failed.length === 0 && results.success)
    return { outcome: 'notApplicable', why: 'no test ran' };
  const message =
    results.testResults.map((file) => file.message).find(Boolean) ??
    failed[0]?.failureMessages[0] ??
    'no assertion failed';
  return { outcome: 'notApplicable', why: `failed without an assertion: ${message.split('\n')[0]}` };
}

for (const mutation of selected) {
  const { name, file, from, to } = mutation;
  const original = readFileSync(file, 'utf8');
  const occurrences = original.split(from).length - 1;
  if (occurrences !== 1) {
    console.error(`mutation '${name}': expected exactly one '${from}' in ${file}, found ${occurrences}`);
    process.exit(2);
  }
  writeFileSync(file, original.replace(from, to));
  let verdict;
  try {
    const embed = spawnSync(process.execPath, ['scripts/embed-wgsl.mjs'], { encoding: 'utf8' });
    if (embed.status !== 0)
      verdict = { outcome: 'notApplicable', why: `the kernels do not embed: ${embed.stderr.trim().split('\n')[0]}` };
    else {
      const { files, filter } = mutation.tests ?? testsFor(mutation.list, mutation.name);
      rmSync(report, { force: true });
      const run = spawnSync(
        'npx',
        ['vitest', 'run', '--reporter=json', `--outputFile=${report}`, ...files, ...(filter ? ['-t', filter] : [])],
        {
          encoding: 'utf8',
          env: { ...process.env, NO_COLOR: '1', CI: process.env.CI || 'true' },
        },
      );
      verdict = judge(run);
    }
  } finally {
    writeFileSync(file, original);
  }
  outcomes[verdict.outcome].push(name);
  const label = { caught: 'caught        ', survived: 'SURVIVED      ', notApplicable: 'not applicable' }[
    verdict.outcome
  ];
  console.log(`${label}  ${name} (${verdict.why})`);
}
spawnSync(process.execPath, ['scripts/embed-wgsl.mjs'], { stdio: 'inherit' });
console.log(
  `mutations: ${outcomes.caught.length} caught, ${outcomes.survived.length} survived, ${outcomes.notApplicable.length} not applicable (of ${selected.length} run; ${all.length} in the list)`,
);
if (outcomes.survived.length > 0) console.log(`survived: ${outcomes.survived.join('; ')}`);
if (outcomes.notApplicable.length > 0) console.log(`not applicable: ${outcomes.notApplicable.join('; ')}`);
process.exit(outcomes.survived.length > 0 ? 1 : 0);
