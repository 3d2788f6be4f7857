"""Check that every notebook reproduces its committed text outputs.

Copies the repository into a temporary directory, reruns each notebook there the way `nbdev_test` does
(execnb's CaptureShell, working directory = the notebook's folder, the repository root first on sys.path,
cells flagged with settings.ini's `tst_flags` such as `#| slow` / `#| notest`, `#| eval: false` cells and the
`nbdev_export()` cell skipped), and compares each code cell's text outputs with the committed ones:

- stdout (stream outputs named stdout),
- `text/plain` of execute results and displayed data,
- errors (`ename: evalue`).

Before comparing, volatile bits are normalised: durations (`12.3 ms`, `1.2 s`, `%timeit` lines), rates
(`1.2e6 rows/s`), memory addresses (`0x7f…`), temporary and repository paths, dates/times, host:port
addresses and process ids. A cell whose text output is volatile by design (a timing table, say) can carry the
nbdev directive `#| volatile`: it is still run (it must not fail) but its output is not compared.
Skipped cells keep their committed outputs and are not compared.

Usage:
    python tools/check_repro.py                  # all notebooks under nbs/
    python tools/check_repro.py 02_irls 04_glm   # some notebooks (names, stems or globs)
    python tools/check_repro.py -v               # also print a diff of each differing cell
With --write it instead executes the notebooks in place, the same way, and stores their outputs: that is how the
committed outputs are made (add --all to run the `#| slow` cells too; `nbdev_clean` is run on each notebook).

There is no tolerance for "noise": a printed number that changes with the BLAS kernel or the CPU is a defect of
the notebook (print the bound a test asserts, or fewer digits), not of the comparison.
Options: --n_workers N (default 2), --keep (keep the temporary copy, print its path),
         --timeout S (seconds per notebook, default 1200), --tracked (copy only the files git tracks, as a
         clean clone has them; notebooks that are not tracked yet are then not found).
Cell numbers in the report are 0-based positions in the .ipynb file (as `nb.cells[i]`).
Exit status: 0 when every compared cell matches, 1 otherwise.
"""
from __future__ import annotations
import argparse, configparser, difflib, fnmatch, os, re, shutil, sys, tempfile, time
import json, subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COPY_SKIP = {'.git', '_docs', '_proc', '.quarto', '__pycache__', '.ipynb_checkpoints', '.hypothesis',
             'dask-worker-space', 'build', 'dist'}

# ---------------------------------------------------------------- normalisation
_UNIT = r'(?:ns|µs|μs|us|ms|s|sec|secs|seconds?|min|mins|minutes?|hours?)'
_NUM = r'[-+]?(?:\d+(?:[.,]\d+)*|\.\d+)(?:[eE][-+]?\d+)?'
_SUBS = [
    (re.compile(r'(<[^<>\n]*?) at 0x[0-9a-fA-F]+>'), r'\1>'),                      # reprs, as nbdev_clean does
    (re.compile(r'0x[0-9a-fA-F]{4,}'), '0x…'),                                       # other memory addresses
    (re.compile(rf'{_NUM}\s*{_UNIT}\s*±\s*{_NUM}\s*{_UNIT}\s+per loop.*'), '<timeit>'),  # %timeit
    (re.compile(rf'(?<![\w.]){_NUM}\s*(?:rows|it|obs|iterations|fits|cells)/s\b'), '<rate>'),  # throughputs
    (re.compile(rf'(?<![\w.]){_NUM}\s?{_UNIT}(?![\w/])'), '<time>'),                   # durations
    (re.compile(r'\b\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?'), '<datetime>'),
    (re.compile(r'\b(?:tcp|inproc|ws|http|https)://[\w.\-]+:\d+'), '<address>'),        # dask and other servers
    (re.compile(r'\b(?:127\.0\.0\.1|localhost):\d+'), '<address>'),
    (re.compile(r'\bpid[ =:]\s*\d+', re.I), 'pid <pid>'),
    (re.compile(r'/tmp/[\w.\-/]+'), '<tmp>'),
]


def normalise(text:str, root:str|None=None) -> str:
    "Replace the volatile parts of `text` (timings, addresses, paths, dates) by placeholders."
    text = text.replace(str(ROOT), '<root>')
    if root: text = text.replace(root, '<root>')
    for rx, rep in _SUBS: text = rx.sub(rep, text)
    return '\n'.join(l.rstrip() for l in text.strip('\n').splitlines())

_ANSI = re.compile(r'\x1b\[[0-9;]*[A-Za-z]')
_TB = re.compile(r'(?:^|(?<=^stdout: ))-{20,}\n\S+\s+Traceback \(most recent call last\).*', re.M | re.S)

def _txt(x) -> str: return _ANSI.sub('', ''.join(x) if isinstance(x, list) else (x or ''))

def text_outputs(outputs) -> list[str]:
    "The comparable text of a cell's outputs: stdout, text/plain and errors, in order (stdout runs merged)."
    res, out = [], ''
    for o in outputs or []:
        ot = o.get('output_type')
        if ot == 'stream':
            if o.get('name') == 'stdout': out += _txt(o.get('text'))
            continue
        if out: res.append('stdout: ' + out); out = ''
        if ot in ('execute_result', 'display_data'):
            tp = (o.get('data') or {}).get('text/plain')
            if tp is not None: res.append('text/plain: ' + _txt(tp))
        elif ot == 'error':
            if res and res[-1].startswith('stdout: '):                # execnb also prints the traceback to stdout
                res[-1] = _TB.sub('', res[-1])
                if res[-1] == 'stdout: ': res.pop()
            res.append(f"error: {o.get('ename')}: {_ANSI.sub('', str(o.get('evalue')))}")
    if out: res.append('stdout: ' + out)
    return res

# ---------------------------------------------------------------- running one notebook
def _skip_flags() -> set[str]:
    cp = configparser.ConfigParser(); cp.read(ROOT / 'settings.ini')
    return set(cp['DEFAULT'].get('tst_flags', '').split())

def execute(fn:Path, root:str, flags:set):
    "Run one notebook as nbdev_test does; returns (the processed notebook with outputs, the committed one, run info)."
    os.environ['IN_TEST'] = '1'
    import matplotlib; matplotlib.use('Agg')
    try:                       # pandas takes CaptureShell for a terminal (max_columns=0: fit to the terminal);
        import pandas as pd    # in a Jupyter kernel it is 20: the committed outputs use a kernel's settings
        pd.set_option('display.max_columns', 20); pd.set_option('display.width', 80)
    except ImportError: pass
    sys.path.insert(0, root)
    from execnb.nbio import read_nb
    from execnb.shell import CaptureShell
    from nbdev.process import NBProcessor, nb_lang
    from nbdev.frontmatter import FrontmatterProc
    from fastcore.basics import str2bool
    committed = read_nb(fn)
    nb = NBProcessor(fn, procs=FrontmatterProc, process=True).nb
    fm = getattr(nb, 'frontmatter_', {}) or {}
    info = dict(skipped=0, error=None, seconds=0.0, skip_exec=False)
    if str2bool(fm.get('skip_exec', False)) or nb_lang(nb) != 'python': info['skip_exec'] = True; return nb, committed, info

    def skip(cell):
        if cell.cell_type != 'code': return True
        if not_run(cell, flags): info['skipped'] += 1; return True
        cell.outputs = []
        return False

    start = time.time()
    shell = CaptureShell(fn)
    cwd = os.getcwd()
    try:
        os.chdir(fn.parent)
        shell.run_all(nb, exc_stop=False, preproc=skip)
    except Exception as e: info['error'] = f'{type(e).__name__}: {e}'
    finally: os.chdir(cwd)
    info['seconds'] = time.time() - start
    for cell in nb.cells:                       # a cell that raised: the run failed, whatever comes after
        if any(o.get('output_type') == 'error' for o in getattr(cell, 'outputs', None) or []) and not info['error']:
            info['error'] = f"cell {cell.get('id')} raised an exception"
    return nb, committed, info

def not_run(cell, flags:set) -> bool:
    "nbdev_test's rule: the export cell, `#| eval: false`, or a flag among `flags` (settings.ini's tst_flags)."
    d = getattr(cell, 'directives_', {}) or {}
    return 'nbdev_export' + '(' in cell.source or d.get('eval:', [''])[0].lower() == 'false' or bool(flags & d.keys())

def run_notebook(fn:str, root:str) -> dict:
    "Rerun one notebook of the temporary copy; return its per-cell comparison."
    fn, flags = Path(fn), _skip_flags()
    nb, committed, info = execute(fn, root, flags)
    res = dict(name=fn.name, compared=0, with_output=0, skipped=info['skipped'], volatile=0, diffs=[],
               error='skip_exec' if info['skip_exec'] else info['error'], seconds=info['seconds'])
    if info['skip_exec']: return res
    # FrontmatterProc may drop the title cell: pair cells by their id (falling back to position)
    by_id = {c.get('id'): i for i, c in enumerate(committed.cells)}
    for pos, cell in enumerate(nb.cells):
        if cell.cell_type != 'code' or getattr(cell, 'outputs', None) is None: continue
        if not_run(cell, flags): continue
        d = getattr(cell, 'directives_', {}) or {}
        idx = by_id.get(cell.get('id'), pos)
        if 'volatile' in d: res['volatile'] += 1; continue
        old = [normalise(t, root) for t in text_outputs(committed.cells[idx].get('outputs'))]
        new = [normalise(t, root) for t in text_outputs(cell.outputs)]
        res['compared'] += 1
        if old or new: res['with_output'] += 1
        if old != new: res['diffs'].append((idx, old, new))
    return res

def write_notebook(fn:str, run_all:bool=False) -> dict:
    "Execute a notebook in place as nbdev_test does and store its outputs (cells nbdev_test skips keep theirs)."
    from execnb.nbio import write_nb
    fn = Path(fn)
    flags = set() if run_all else _skip_flags()
    nb, committed, info = execute(fn, str(ROOT), flags)
    if not info['skip_exec']:
        ran = {c.get('id'): c.outputs for c in nb.cells if c.cell_type == 'code' and not not_run(c, flags)}
        for c in committed.cells:
            if c.cell_type == 'code' and c.get('id') in ran: c['outputs'] = ran[c.get('id')]
        write_nb(committed, fn)
        subprocess.run(['nbdev_clean', '--fname', str(fn)], check=True, capture_output=True)
    return dict(name=fn.name, error=info['error'], seconds=info['seconds'], skipped=info['skipped'])

def _run_in_subprocess(job) -> dict:
    fn, root, timeout = job
    try: p = subprocess.run([sys.executable, __file__, '--worker', fn, root], capture_output=True, text=True,
                            timeout=timeout)
    except subprocess.TimeoutExpired:
        return dict(name=Path(fn).name, compared=0, with_output=0, skipped=0, volatile=0, diffs=[],
                    seconds=float(timeout), error=f'timed out after {timeout} s')
    lines = p.stdout.strip().splitlines()
    if p.returncode == 0 and lines and lines[-1].startswith('{'): return json.loads(lines[-1])
    return dict(name=Path(fn).name, compared=0, with_output=0, skipped=0, volatile=0, diffs=[], seconds=0.0,
                error=f'worker failed (exit {p.returncode}): {p.stderr.strip()[-2000:]}')

# ---------------------------------------------------------------- driver
def write_all(nbs:list, a) -> int:
    "Execute each notebook in place in its own interpreter and store its outputs; report failures."
    def job(fn):
        p = subprocess.run([sys.executable, __file__, '--worker-write', str(fn), 'all' if a.all else 'tests'],
                           capture_output=True, text=True, timeout=a.timeout)
        lines = p.stdout.strip().splitlines()
        if p.returncode == 0 and lines and lines[-1].startswith('{'): return json.loads(lines[-1])
        return dict(name=fn.name, error=f'worker failed (exit {p.returncode}): {p.stderr.strip()[-2000:]}', seconds=0.0)
    with ThreadPoolExecutor(max_workers=max(1, min(a.n_workers, len(nbs)))) as ex: results = list(ex.map(job, nbs))
    for r in results: print(f"{r['name']:<32} [{r['seconds']:.1f} s] {'written' if not r['error'] else 'ERROR: ' + r['error']}")
    return 1 if any(r['error'] for r in results) else 0

def find_notebooks(patterns:list[str], tracked:bool=False) -> list[Path]:
    nbs = ROOT / 'nbs'
    if tracked:
        out = subprocess.run(['git', 'ls-files', 'nbs'], cwd=ROOT, capture_output=True, text=True).stdout.split()
        cand = [ROOT / f for f in out if f.endswith('.ipynb')]
    else: cand = list(nbs.rglob('*.ipynb'))
    allnb = sorted(p for p in cand
                   if not any(part.startswith(('_', '.')) for part in p.relative_to(nbs).parts))
    if not patterns: return allnb
    sel = []
    for pat in patterns:
        stem = Path(pat).name.removesuffix('.ipynb')
        hits = [p for p in allnb if fnmatch.fnmatch(p.stem, stem) or p.stem == stem]
        if not hits: sys.exit(f'no notebook matches {pat!r}')
        sel += [h for h in hits if h not in sel]
    return sel

def copy_repo(dst:Path, tracked:bool=False) -> Path:
    "Copy the working tree (or, with `tracked`, only the files git tracks, as in a clean clone) to `dst`."
    if tracked:
        files = subprocess.run(['git', 'ls-files', '-z'], cwd=ROOT, capture_output=True, text=True, check=True).stdout
        for f in filter(None, files.split('\0')):
            (dst / f).parent.mkdir(parents=True, exist_ok=True)
            if (ROOT / f).exists(): shutil.copy2(ROOT / f, dst / f)
        return dst
    def ignore(d, names): return [n for n in names if n in COPY_SKIP or n.endswith('.egg-info')]
    shutil.copytree(ROOT, dst, ignore=ignore, symlinks=True)
    return dst

def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] in (['--worker'], ['--worker-write']):             # internal: run one notebook, print JSON
        res = run_notebook(argv[1], argv[2]) if argv[0] == '--worker' else write_notebook(argv[1], argv[2] == 'all')
        sys.stdout.flush(); sys.__stdout__.write('\n' + json.dumps(res) + '\n'); return 0
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('notebooks', nargs='*', help='notebook names, stems or globs (default: all)')
    ap.add_argument('--n_workers', type=int, default=2)
    ap.add_argument('-v', '--verbose', action='store_true', help='print a diff of each differing cell')
    ap.add_argument('--keep', action='store_true', help='keep the temporary copy')
    ap.add_argument('--tracked', action='store_true', help='copy only files tracked by git (a clean clone)')
    ap.add_argument('--write', action='store_true', help='execute the notebooks in place and store their outputs')
    ap.add_argument('--all', action='store_true', help='with --write: run the slow cells too')
    ap.add_argument('--timeout', type=int, default=1200, help='seconds allowed per notebook')
    a = ap.parse_args(argv)
    t0 = time.time()
    if a.write: return write_all(find_notebooks(a.notebooks, a.tracked), a)
    nbs = find_notebooks(a.notebooks, a.tracked)
    tmp = Path(tempfile.mkdtemp(prefix='check_repro_'))
    try:
        root = copy_repo(tmp / ROOT.name, a.tracked)
        jobs = [(str(root / p.relative_to(ROOT)), str(root), a.timeout) for p in nbs]
        # one fresh interpreter per notebook (IPython's shell takes over __main__, so no worker reuse)
        with ThreadPoolExecutor(max_workers=max(1, min(a.n_workers, len(jobs)))) as ex:
            results = list(ex.map(_run_in_subprocess, jobs))
    finally:
        if a.keep: print(f'temporary copy kept in {tmp}')
        else: shutil.rmtree(tmp, ignore_errors=True)
    n_cmp = n_out = n_diff = n_skip = n_vol = 0
    bad = []
    for r in results:
        n_cmp += r['compared']; n_out += r['with_output']; n_skip += r['skipped']; n_vol += r['volatile']
        n_diff += len(r['diffs'])
        status = 'ok' if not r['diffs'] and not r['error'] else 'DIFFERS'
        if r['error'] == 'skip_exec': status = 'skipped (skip_exec)'
        print(f"{r['name']:<32} {r['compared']:>4} cells compared ({r['with_output']} with text output), "
              f"{r['skipped']} skipped, {len(r['diffs'])} differ  [{r['seconds']:.1f} s] {status}")
        if r['error'] and r['error'] != 'skip_exec': print(f"    run error: {r['error']}"); bad.append(r['name'])
        for idx, old, new in r['diffs']:
            print(f"    {r['name']} cell {idx}: text output differs from the committed one")
            if a.verbose:
                diff = difflib.unified_diff('\n'.join(old).splitlines(), '\n'.join(new).splitlines(),
                                            'committed', 'rerun', lineterm='', n=1)
                for l in list(diff)[:40]: print('        ' + l)
        if r['diffs']: bad.append(r['name'])
    print(f"check_repro: {len(results)} notebooks, {n_cmp} code cells compared ({n_out} with text output), "
          f"{n_skip} skipped (slow/notest/eval:false/export), {n_vol} volatile, {n_diff} differing; "
          f"{time.time() - t0:.0f} s")
    return 1 if bad else 0

if __name__ == '__main__': sys.exit(main())
