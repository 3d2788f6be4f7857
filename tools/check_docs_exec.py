"""Run, for each notebook, exactly the cells nbdev's docs build (`nbdev_docs`) executes, and report errors.

nbdev's `exec_show_docs` processor runs, in one fresh `CaptureShell` per notebook, every cell that is
exported, contains an import statement, or calls `show_doc` -- *in isolation from the other cells*.
A cell mixing imports with code that depends on earlier (non-executed) cells therefore fails the docs build.
This script runs nbdev's own processor pipeline (`FilterDefaults`) without Quarto.

Usage: python tools/check_docs_exec.py [nbs/NAME.ipynb ...]   (default: every notebook in nbs/)
"""
import os, sys, warnings
from pathlib import Path
from execnb.nbio import read_nb
import nbdev.processors as P

class _exec_all(P.exec_show_docs):
    "Like nbdev's `exec_show_docs`, but record every failing cell instead of stopping at the first"
    errors = []
    def __call__(self, cell):
        if not self.nb.has_docs_ or not hasattr(self, 'k'): return
        if P.str2bool(getattr(self.nb, 'frontmatter_', {}).get('skip_showdoc', False)): return
        if P._do_eval(cell): self.k.cell(cell)
        if self.k.exc:
            first = cell.source.strip().splitlines()[0] if cell.source.strip() else ''
            _exec_all.errors.append(f"cell {cell.idx_} ({first[:60]!r}): {type(self.k.exc).__name__}: {self.k.exc}")
            self.k.exc = None

class _Filter(P.FilterDefaults):
    def base_procs(self): return [_exec_all if p is P.exec_show_docs else p for p in super().base_procs()]

def check(path):
    "Process notebook `path` as nbdev_docs would; return None on success, else an error message."
    nb = read_nb(path)
    _exec_all.errors = []
    with warnings.catch_warnings(record=True) as ws:
        warnings.simplefilter('always')
        try: _Filter().nb_proc(nb).process()
        except Exception as e: return f"{type(e).__name__}: {e}"
        if _exec_all.errors: return '\n      '.join(['']+_exec_all.errors)
        mixed = [str(w.message).split('---')[1].strip().splitlines()[0] for w in ws
                 if 'imports and other code' in str(w.message)]
    return (f'OK, but {len(mixed)} cell(s) mix imports with other code (nbdev warns; they run in isolation): '
            + '; '.join(repr(m[:50]) for m in mixed)) if mixed else None

def main(args):
    root = Path(__file__).resolve().parent.parent
    nbs = [Path(a).resolve() for a in args] or sorted((root/'nbs').glob('*.ipynb'))
    n_fail = 0
    for p in nbs:
        cwd = os.getcwd(); os.chdir(p.parent)   # notebooks run from nbs/, as in nbdev_docs
        try: msg = check(p)
        finally: os.chdir(cwd)
        if msg is None or msg.startswith('OK'): print(f"OK    {p.name}" + (f"  [{msg[4:]}]" if msg else ''))
        else: n_fail += 1; print(f"FAIL  {p.name}: {msg}")
    print(f"{len(nbs)-n_fail}/{len(nbs)} notebooks pass the docs-exec check")
    return 1 if n_fail else 0

if __name__ == '__main__': sys.exit(main(sys.argv[1:]))
