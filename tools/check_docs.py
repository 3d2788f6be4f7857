"""Check the API documentation: docstrings, documented parameters (docments) and show_doc entries.

For every module of poisson_irls and every name in its `__all__`:
- functions and classes need a docstring;
- every parameter of a function, and of a class's own `__init__`, needs a docment (an inline comment,
  `def f(x:int, # what x is`) or a numpy-style description;
- the name must appear in the reference page of the notebook that defines it through `show_doc`: nbdev adds
  `show_doc` for the top-level functions and classes of `#| export` cells by itself, or the notebook calls
  `show_doc(name)` in a visible cell.
Public methods and properties of exported classes need a docstring and documented parameters too; whether they
have their own `show_doc` entry is reported as a note (nbdev shows a class, not each method, by itself).
Names that are not functions or classes (constants) are listed, not checked.

Usage: python tools/check_docs.py [-q] [--strict]
  -q: print only problems.  Exit status 1 when an exported function or class lacks something; with --strict,
  also when a public method does. A method that overrides one of a base class is checked on the base only.
"""
from __future__ import annotations
import ast, importlib, inspect, pkgutil, re, sys, functools
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

def _directives(src:str) -> set[str]:
    d = set()
    for line in src.splitlines():
        m = re.match(r'\s*#\|\s*([\w\-]+)\s*(:\s*(.*))?$', line)
        if not m:
            if line.strip(): break
            continue
        d.add(m.group(1) if not m.group(2) else f"{m.group(1)}:{m.group(3).strip()}")
    return d

def notebook_index() -> dict[str, dict]:
    "For each module, the notebook defining it: names defined in `#| export` cells and names given show_doc."
    import nbformat
    res = {}
    for fn in sorted((ROOT / 'nbs').glob('*.ipynb')):
        nb = nbformat.read(fn, as_version=4)
        mod, defined, auto, shown, hidden_shown = None, {}, set(), set(), set()
        for c in nb.cells:
            if c.cell_type != 'code': continue
            d = _directives(c.source)
            m = re.search(r'^\s*#\|\s*default_exp\s+(\S+)', c.source, re.M)
            if m: mod = m.group(1)
            code = '\n'.join(l for l in c.source.splitlines() if not l.lstrip().startswith(('#|', '%', '!')))
            try: tree = ast.parse(code)
            except SyntaxError: continue
            hidden = 'hide' in d or 'include:false' in d
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and getattr(node.func, 'id', None) == 'show_doc' and node.args:
                    (hidden_shown if hidden else shown).add(ast.unparse(node.args[0]))
            if d & {'export', 'exports', 'exporti'}:
                for node in tree.body:
                    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                        defined[node.name] = fn.name
                        if d & {'export', 'exports'} and not hidden and not node.name.startswith('_'): auto.add(node.name)
        if mod: res.setdefault(mod, dict(defined={}, auto=set(), shown=set(), hidden_shown=set()))
        if mod:
            r = res[mod]; r['defined'].update(defined); r['auto'] |= auto; r['shown'] |= shown
            r['hidden_shown'] |= hidden_shown
    return res

def undocumented_params(f) -> list[str]:
    "Parameters of `f` without a docment (self/cls excluded)."
    from fastcore.docments import docments
    try: sig = inspect.signature(f)
    except (TypeError, ValueError): return []
    names = [p for p in sig.parameters if p not in ('self', 'cls')]
    if not names: return []
    try: docs = docments(f, full=True)
    except Exception as e: return [f'(could not read docments: {type(e).__name__})']
    return [p for p in names if not (docs.get(p) or {}).get('docment')]

def _own_doc(obj) -> str|None:
    d = inspect.getdoc(obj)
    return d if d and d.strip() else None

def check(quiet=False, strict=False) -> int:
    import poisson_irls
    nbidx = notebook_index()
    problems, minor, notes = [], [], []
    mods = sorted(m.name for m in pkgutil.iter_modules(poisson_irls.__path__) if not m.name.startswith('_'))
    for modname in mods:
        try: mod = importlib.import_module(f'poisson_irls.{modname}')
        except ImportError as e: problems.append(f'{modname}: cannot import ({e})'); continue
        info = nbidx.get(modname, dict(defined={}, auto=set(), shown=set(), hidden_shown=set()))
        for name in getattr(mod, '__all__', []):
            obj = getattr(mod, name, None)
            where = f"{modname}.{name}"
            nb = info['defined'].get(name, '?')
            if not (inspect.isfunction(obj) or inspect.isclass(obj)):
                if not quiet: notes.append(f'{where}: not a function or class ({type(obj).__name__}), not checked'); 
                continue
            if obj.__module__ != mod.__name__: continue            # re-exported from elsewhere
            if not _own_doc(obj): problems.append(f'{where} ({nb}): no docstring')
            f = obj.__init__ if inspect.isclass(obj) and '__init__' in vars(obj) else (obj if inspect.isfunction(obj) else None)
            if f is not None:
                miss = undocumented_params(f)
                if miss: problems.append(f"{where} ({nb}): parameters without docments: {', '.join(miss)}")
            if name not in info['auto'] and name not in info['shown']:
                why = ' (its show_doc is in a hidden cell)' if name in info['hidden_shown'] else ''
                problems.append(f'{where} ({nb}): no show_doc entry in the reference page{why}')
            if inspect.isclass(obj):
                for mname, m in vars(obj).items():
                    if mname.startswith('_'): continue
                    if any(mname in vars(b) for b in obj.__mro__[1:] if b is not object): continue  # checked on the base
                    target = m.fget if isinstance(m, property) else m.func if isinstance(m, functools.cached_property) \
                             else m.__func__ if isinstance(m, (staticmethod, classmethod)) else m
                    if not callable(target): continue
                    if not _own_doc(getattr(obj, mname, None) if not isinstance(m, (property, functools.cached_property)) else target):
                        minor.append(f'{where}.{mname} ({nb}): no docstring')
                    if inspect.isfunction(target) and not isinstance(m, (property, functools.cached_property)):
                        miss = undocumented_params(target)
                        if miss: minor.append(f"{where}.{mname} ({nb}): parameters without docments: {', '.join(miss)}")
                        if f'{name}.{mname}' not in info['shown']: notes.append(f'{where}.{mname}: method has no show_doc of its own')
    for n in ([] if quiet else notes): print('note:', n)
    for p in problems: print('MISSING:', p)
    for p in minor: print('MISSING (method):', p)
    print(f'check_docs: {len(mods)} modules; {len(problems)} problems with exported functions and classes, '
          f'{len(minor)} with public methods')
    return 1 if problems or (strict and minor) else 0

if __name__ == '__main__': sys.exit(check(quiet='-q' in sys.argv, strict='--strict' in sys.argv))
