"""Regenerate README.md from nbs/index.ipynb without Quarto (`nbdev_readme` needs Quarto).

Usage: python tools/make_readme.py          # writes README.md
       python tools/make_readme.py --check  # exits 1 if README.md differs from what index.ipynb gives

The notebook's stored outputs are used (nothing is executed): markdown cells are copied, code cells become
```python fences (nbdev/Quarto directives `#| ...` removed; `#| hide` and `#| include: false` cells dropped,
`#| echo: false` keeps only the outputs, `#| output: false` only the code), and each output is written as
markdown when the object offers `text/markdown`, otherwise as its plain-text form in a plain fence; HTML
representations are not copied, so the README never carries a wall of raw HTML. Links to sibling notebooks
(`NAME.ipynb`) are pointed at `nbs/NAME.ipynb`, so they work on GitHub. Only nbformat is needed, so the
output does not change with the nbconvert version.
"""
import re, sys, pathlib, nbformat

ROOT = pathlib.Path(__file__).resolve().parent.parent
HEADER = '<!-- generated from nbs/index.ipynb by tools/make_readme.py; edit the notebook, not this file -->\n'
_DIRECTIVE = re.compile(r'^\s*#\|\s*(.*?)\s*$')

def directives(src:str) -> dict:
    "The leading `#| key: value` / `#| flag` lines of a code cell, as a dict (flags map to True)."
    d = {}
    for line in src.splitlines():
        m = _DIRECTIVE.match(line)
        if not m:
            if line.strip(): break
            continue
        k, _, v = m.group(1).partition(':')
        d[k.strip()] = v.strip().strip('"\'') if _ else True
    return d

def _text(x) -> str: return ''.join(x) if isinstance(x, list) else (x or '')

def fence(body:str, lang:str='') -> str:
    "A fenced code block, with a fence longer than any backtick run inside `body`."
    ticks = '`' * max(3, max((len(m) for m in re.findall(r'`+', body)), default=0) + 1)
    return f"{ticks}{lang}\n{body.rstrip()}\n{ticks}"

def render_output(o) -> str|None:
    "Markdown for one output: text/markdown as is, plain text in a fence; HTML and images are skipped."
    ot = o.get('output_type')
    if ot == 'stream': return fence(_text(o.get('text'))) if o.get('name') == 'stdout' else None
    if ot == 'error': return fence(f"{o.get('ename')}: {o.get('evalue')}")
    data = o.get('data', {})
    if 'text/markdown' in data: return _text(data['text/markdown']).strip()
    if 'text/plain' in data and not any(k.startswith('image/') for k in data): return fence(_text(data['text/plain']))
    return None

def render_cell(c) -> list[str]:
    if c.cell_type == 'raw': return []
    if c.cell_type == 'markdown': return [c.source.strip()]
    d = directives(c.source)
    if d.get('hide') or str(d.get('include', '')).lower() == 'false': return []
    parts = []
    code = '\n'.join(l for l in c.source.splitlines() if not _DIRECTIVE.match(l)).strip('\n')
    if str(d.get('echo', '')).lower() != 'false' and code: parts.append(fence(code, 'python'))
    if str(d.get('output', '')).lower() != 'false':
        # consecutive stdout chunks belong together
        outs, merged = c.get('outputs', []), []
        for o in outs:
            if merged and o.get('output_type') == 'stream' and merged[-1].get('output_type') == 'stream' \
               and merged[-1].get('name') == o.get('name'):
                merged[-1] = dict(merged[-1], text=_text(merged[-1]['text']) + _text(o['text']))
            else: merged.append(o)
        parts += [r for r in map(render_output, merged) if r]
    return parts

def render() -> str:
    nb = nbformat.read(ROOT / 'nbs' / 'index.ipynb', as_version=4)
    blocks = [b for c in nb.cells for b in render_cell(c)]
    body = '\n\n'.join(blocks)
    body = re.sub(r'\]\((?!https?://|/|#)([\w\-]+\.ipynb)(#[\w\-]*)?\)', r'](nbs/\1\2)', body)  # notebook links
    body = re.sub(r'\n{3,}', '\n\n', body).strip() + '\n'
    return HEADER + '\n' + body

if __name__ == '__main__':
    text = render()
    path = ROOT / 'README.md'
    if '--check' in sys.argv:
        if not path.exists() or path.read_text() != text:
            print('README.md is out of date: run python tools/make_readme.py'); sys.exit(1)
        print('README.md matches nbs/index.ipynb')
    else:
        path.write_text(text); print(f'wrote {path}')
