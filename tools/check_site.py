"""Check the site's navigation: every sidebar entry exists, every notebook is in the sidebar, and every link
from nbs/index.ipynb (the home page and README) to a notebook points at one that exists.

Usage: python tools/check_site.py      Exit status 1 on a missing or unlisted page.
"""
import re, sys, pathlib, yaml, nbformat

ROOT = pathlib.Path(__file__).resolve().parent.parent
NBS = ROOT / 'nbs'

def sidebar_files(items) -> list[str]:
    out = []
    for it in items or []:
        if isinstance(it, str): out.append(it)
        elif isinstance(it, dict):
            if 'href' in it or 'file' in it: out.append(it.get('href') or it.get('file'))
            out += sidebar_files(it.get('contents'))
    return out

def main() -> int:
    side = sidebar_files(yaml.safe_load((NBS / 'sidebar.yml').read_text())['website']['sidebar']['contents'])
    nbs = sorted(p.name for p in NBS.glob('*.ipynb') if not p.name.startswith(('_', '.')))
    index = '\n'.join(c.source for c in nbformat.read(NBS / 'index.ipynb', as_version=4).cells if c.cell_type == 'markdown')
    linked = sorted(set(re.findall(r'\]\(([\w\-]+\.ipynb)', index)))
    bad = 0
    for f in side:
        if not (NBS / f).exists(): print(f'sidebar.yml lists {f}, which does not exist'); bad += 1
    for f in nbs:
        if f not in side: print(f'{f} is not in sidebar.yml'); bad += 1
        if f != 'index.ipynb' and f not in linked: print(f'{f} is not linked from index.ipynb'); bad += 1
    for f in linked:
        if not (NBS / f).exists(): print(f'index.ipynb links to {f}, which does not exist'); bad += 1
    print(f'check_site: {len(side)} sidebar entries, {len(nbs)} notebooks, {len(linked)} notebook links in index; '
          f'{bad} problems')
    return 1 if bad else 0

if __name__ == '__main__': sys.exit(main())
