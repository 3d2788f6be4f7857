"""Regenerate README.md from nbs/index.ipynb without Quarto (nbdev_readme needs Quarto).

Usage: python tools/make_readme.py          # writes README.md
       python tools/make_readme.py --check  # exits 1 if README.md differs from what index.ipynb gives
"""
import sys, re, pathlib, nbformat
from nbconvert import MarkdownExporter

ROOT = pathlib.Path(__file__).resolve().parent.parent

def render() -> str:
    nb = nbformat.read(ROOT / 'nbs' / 'index.ipynb', as_version=4)
    cells = []
    for c in nb.cells:
        src = c.source
        if c.cell_type == 'code' and re.search(r'^#\|\s*hide', src, re.M): continue
        if c.cell_type == 'raw': continue
        c.source = '\n'.join(l for l in src.splitlines() if not l.startswith('#|'))
        cells.append(c)
    nb.cells = cells
    exporter = MarkdownExporter()
    exporter.exclude_output_prompt = True
    body, _ = exporter.from_notebook_node(nb)
    # the title's quote block is nbdev's description: render it as a plain paragraph in the README
    body = re.sub(r'\n{3,}', '\n\n', body).strip() + '\n'
    header = '<!-- generated from nbs/index.ipynb by tools/make_readme.py; edit the notebook, not this file -->\n\n'
    return header + body

if __name__ == '__main__':
    text = render()
    path = ROOT / 'README.md'
    if '--check' in sys.argv:
        if not path.exists() or path.read_text() != text:
            print('README.md is out of date: run python tools/make_readme.py'); sys.exit(1)
        print('README.md matches nbs/index.ipynb')
    else:
        path.write_text(text); print(f'wrote {path}')
