"""Compares CPython regression-test runs, case by case: bare, and under the faultline shim.

    python3 tests/transparency/compare.py RESULTS_DIR BARE[,BARE...] SHIM[,SHIM...] [CANARY]

Each run is a directory RESULTS_DIR/NAME holding what tests/transparency/run.sh left there:
results.xml (regrtest's --junit-xml), log (its -v output), label (one line naming the run),
seconds (its wall time). A case "passes" when it succeeded or failed as expected
(expectedFailure); it fails on a failure, an error, an unexpected success or a failing subtest;
it may also be skipped, or missing (its module crashed, timed out or did not load).

The reference is the set of cases that passed in every bare run; a case that passed in some
bare runs but not all is flaky and left out. Every reference case must pass in every shim run.
Prints a table of counts per run, the flaky cases, and each reference case that did not pass
under the shim with the tail of its failure. CANARY is a run of some of the modules under a
rule that fires: it must lose reference cases of its modules, or the comparison is blind (the
shim was not loaded into the test processes, or the results were misread). Exit status: 0 when
no case was lost, 1 when one was, 2 when a run left nothing to read or the canary lost none.
"""

import os
import re
import sys
import xml.etree.ElementTree as ET

TAIL_LINES = 14  # lines of a failure's traceback shown in the report

# The header of a failure block in unittest's output, e.g.
#   FAIL: test_x (test.test_os.FooTests.test_x) [sub] (param=1)
BLOCK_HEAD = re.compile(r'^(FAIL|ERROR|UNEXPECTED SUCCESS): (\S+) \(([^)\s]+)\)(.*)$')
# faulthandler's header when regrtest's --timeout strikes
FAULTHANDLER_TIMEOUT = re.compile(r'Timeout \(\d+:\d\d:\d\d\)!$')
SEPARATOR = re.compile(r'^(=+|-+)$')
# regrtest's progress line: "0:01:15 load avg: 4.65 [ 4/17] test_subprocess passed (39.3 sec)"
PROGRESS = re.compile(r'\[\s*\d+/\d+(?:/\d+)?\] (test_\w+) (.*?)(?: -- running: .*)?$')


def module_of(case_id):
    """The regrtest test (module or package) a case id belongs to."""
    parts = case_id.split(' ')[-1].strip('()').split('.')
    for k in range(len(parts) - 1):
        if parts[k] == 'test' and parts[k + 1].startswith('test_'):
            return parts[k + 1]
    return parts[0]


class Run:
    def __init__(self, results, name):
        self.name = name
        self.dir = os.path.join(results, name)
        self.label = self._read('label', name).strip()
        try:
            self.seconds = float(self._read('seconds', 'nan'))
        except ValueError:
            self.seconds = float('nan')
        self.status = {}       # case id -> passed | failed | skipped
        self.detail = {}       # case id -> text explaining a failure or skip
        self.unnamed = 0       # testcases regrtest recorded without a name (failing subtests)
        self.modules = {}      # regrtest test -> its status line
        self.log_only = set()  # failed cases the log names and the XML does not
        self.ok = True
        self._read_xml()
        self._read_log()

    def _read(self, fname, default):
        try:
            with open(os.path.join(self.dir, fname), encoding='utf-8', errors='replace') as f:
                return f.read()
        except OSError:
            return default

    def _read_xml(self):
        path = os.path.join(self.dir, 'results.xml')
        try:
            root = ET.parse(path).getroot()
        except (OSError, ET.ParseError) as e:
            print(f'compare: {self.name}: cannot read {path}: {e}', file=sys.stderr)
            self.ok = False
            return
        for case in root.iter('testcase'):
            cid = case.get('name')
            if not cid:
                # regrtest opens a testcase element for every test but names it only when
                # the test ends in one outcome: a test whose subtests failed stays unnamed.
                # Its failures are in the log (below).
                self.unnamed += 1
                continue
            bad = case.find('failure')
            if bad is None:
                bad = case.find('error')
            skipped = case.find('skipped')
            if bad is not None:
                self._set(cid, 'failed', bad.text or bad.get('message') or '')
            elif case.get('outcome') == 'UNEXPECTED_SUCCESS':
                self._set(cid, 'failed', 'unexpected success')
            elif skipped is not None:
                self._set(cid, 'skipped', 'skipped: ' + (skipped.text or ''))
            else:
                self._set(cid, 'passed', '')

    def _set(self, cid, status, detail):
        # A case that appears twice (a subtest outcome and the test's own) keeps the worst.
        order = {'passed': 0, 'skipped': 1, 'failed': 2}
        if cid in self.status and order[self.status[cid]] >= order[status]:
            return
        self.status[cid] = status
        self.detail[cid] = detail

    def _read_log(self):
        lines = self._read('log', '').splitlines()
        i = 0
        while i < len(lines):
            m = PROGRESS.search(lines[i])
            if m:
                self.modules[m.group(1)] = m.group(2)
            m = BLOCK_HEAD.match(lines[i])
            if m and i > 0 and SEPARATOR.match(lines[i - 1]):
                kind, cid, extra = m.group(1), m.group(3), m.group(4).strip()
                j = i + 1
                body = []
                while j < len(lines) and not (SEPARATOR.match(lines[j]) and lines[j].startswith('=')) \
                        and not lines[j].startswith('Ran '):
                    body.append(lines[j])
                    j += 1
                while body and (not body[-1].strip() or SEPARATOR.match(body[-1])):
                    body.pop()
                while body and SEPARATOR.match(body[0]):
                    body.pop(0)
                head = f'{kind}{" " + extra if extra else ""}'
                text = head + '\n' + '\n'.join(body)
                if cid not in self.status:
                    self.log_only.add(cid)
                if self.status.get(cid) != 'failed':
                    self.status[cid] = 'failed'
                    self.detail[cid] = text
                elif extra and text not in self.detail[cid]:
                    self.detail[cid] += '\n' + text
                i = j
                continue
            i += 1

    def timeout_dump(self, mod, n=TAIL_LINES):
        """The test that was running when regrtest's timeout struck in module mod, and the
        innermost frames faulthandler dumped."""
        lines = self._read('log', '').splitlines()
        for i, line in enumerate(lines):
            if FAULTHANDLER_TIMEOUT.search(line) and f'.{mod}.' in line:
                out = [line.strip()]
                for l in lines[i + 1:i + 1 + n]:
                    if not l.startswith(('Thread ', 'Current thread', '  File')):
                        break
                    out.append(l.rstrip())
                return out
        return []

    def counts(self):
        c = {'passed': 0, 'failed': 0, 'skipped': 0}
        for s in self.status.values():
            c[s] += 1
        # An unnamed testcase is a test whose subtests failed; the log names them (log_only).
        c['failed'] += max(0, self.unnamed - len(self.log_only))
        c['run'] = c['passed'] + c['failed'] + c['skipped']
        return c

    def outcome(self, cid):
        s = self.status.get(cid)
        if s is not None:
            return s, self.detail.get(cid, '')
        mod = module_of(cid)
        return 'missing', f'not reported; regrtest says of {mod}: {self.modules.get(mod, "nothing")}'


def tail(text, n=TAIL_LINES):
    lines = [l for l in text.rstrip().splitlines()]
    if len(lines) <= n + 1:
        return lines
    return [lines[0], '    ...'] + lines[-n:]


def main(argv):
    if len(argv) not in (4, 5):
        print('usage: ' + __doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    results = argv[1]
    bare = [Run(results, n) for n in argv[2].split(',')]
    shim = [Run(results, n) for n in argv[3].split(',')]
    canary = Run(results, argv[4]) if len(argv) == 5 else None
    runs = bare + shim + ([canary] if canary else [])
    if not all(r.ok for r in runs):
        return 2

    for r in runs:
        if not r.status:
            print(f'compare: {r.name}: no test case was reported (see {r.dir}/log)',
                  file=sys.stderr)
            return 2

    # The reference: cases that passed in every bare run. Flaky: passed in some, not all.
    passed_sets = [{cid for cid, s in r.status.items() if s == 'passed'} for r in bare]
    reference = set.intersection(*passed_sets)
    flaky = sorted(set.union(*passed_sets) - reference)

    def verdict(s):
        return re.sub(r'\s*\((?:[0-9.]+ (?:sec|min)|[0-9]+ min [0-9]+ sec)\)', '', s).strip()

    print()
    print(f'{"run":<36} {"modules ok":>10} {"cases":>6} {"passed":>6} {"failed":>6} {"skipped":>7}'
          f' {"minutes":>7} {"lost":>5}')
    lost = {}
    for r in runs:
        c = r.counts()
        mods = f'{sum(1 for v in r.modules.values() if verdict(v) == "passed")}/{len(r.modules)}'
        if r in shim:
            lost[r.name] = sorted(cid for cid in reference if r.outcome(cid)[0] != 'passed')
            nlost = str(len(lost[r.name]))
        elif r is canary:
            mine = {cid for cid in reference if module_of(cid) in r.modules}
            canary_lost = sorted(cid for cid in mine if r.outcome(cid)[0] != 'passed')
            nlost = str(len(canary_lost))
        else:
            nlost = '-'
        print(f'{r.label:<36} {mods:>10} {c["run"]:>6} {c["passed"]:>6} {c["failed"]:>6}'
              f' {c["skipped"]:>7} {r.seconds / 60:>7.1f} {nlost:>5}')
    print()
    print(f'reference: {len(reference)} cases passed in all {len(bare)} bare runs; '
          f'"lost" counts those that did not pass under the shim')

    # Modules regrtest did not pass, per run (information: "env changed", a crash or a
    # timeout; the cases decide).
    for r in runs:
        for mod in sorted(r.modules):
            if verdict(r.modules[mod]) != 'passed':
                print(f'note: {r.label}: regrtest says {mod} {verdict(r.modules[mod])}')

    if flaky:
        print()
        print(f'flaky bare ({len(flaky)}; passed in some bare runs, not all; left out):')
        for cid in flaky:
            how = ', '.join(f'{r.name}: {r.outcome(cid)[0]}' for r in bare)
            print(f'  {cid}  ({how})')

    if canary:
        print()
        if not canary_lost:
            print(f'transparency: the instrument is blind: {canary.label} lost none of the '
                  f'{len(mine)} reference cases of {", ".join(sorted(canary.modules))}: the '
                  f'shim did not reach the tests, or their results were misread '
                  f'(see {canary.dir}/log)')
            return 2
        print(f'canary: {canary.label} lost {len(canary_lost)} of {len(mine)} reference cases '
              f'(e.g. {canary_lost[0]}: {canary.outcome(canary_lost[0])[0]}): the comparison '
              f'sees what the shim does')

    total = sum(len(v) for v in lost.values())
    for r in shim:
        if not lost[r.name]:
            continue
        print()
        print(f'passed bare, not under the shim: {r.label} ({len(lost[r.name])}):')
        missing = {}
        for cid in lost[r.name]:
            status, detail = r.outcome(cid)
            if status == 'missing':
                missing.setdefault(module_of(cid), []).append(cid)
                continue
            print(f'  {cid}: {status}')
            for line in tail(detail):
                print(f'      {line}')
        # A module that crashed or timed out loses all its cases at once: one entry, with
        # what regrtest printed when its timeout struck.
        for mod, cids in sorted(missing.items()):
            print(f'  {mod}: {len(cids)} case(s) not reported, e.g. {cids[0]}; '
                  f'regrtest says: {r.modules.get(mod, "nothing")}')
            for line in r.timeout_dump(mod):
                print(f'      {line}')
    print()
    if total:
        print(f'transparency: FAIL: {total} case(s) that pass bare do not pass under the shim '
              f'(logs in {results})')
        return 1
    print(f'transparency: ok: every case that passes bare passes under the shim '
          f'(logs in {results})')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
