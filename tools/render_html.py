"""Render notebooks to stand-alone HTML pages close to what the Quarto site shows, without Quarto.

Each notebook goes through nbdev's own docs processing (`nbdev.processors.FilterDefaults`: front matter,
`show_doc` entries for exported names, hidden cells removed, links to the API reference), i.e. exactly what
`nbdev_docs` hands to Quarto. The few Quarto cell options that matter for reading a page are then emulated
(`echo`, `output`, `include`, `fig-cap`), and nbconvert writes the HTML with MathJax (local Debian copy when
present, else the CDN), the site's `styles.css` and the `dracula` code style.
For each page it prints what a reader should find: typeset-math count, tables, figures and figure captions.

Usage: python tools/render_html.py OUT_DIR [NOTEBOOK ...]     (default: every notebook in nbs/)
"""
from __future__ import annotations
import os, re, sys, html
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCAL_MATHJAX = Path('/usr/share/javascript/mathjax/MathJax.js')

def mathjax_url() -> str:
    if LOCAL_MATHJAX.exists(): return f'file://{LOCAL_MATHJAX}?config=TeX-AMS_SVG-full'
    return 'https://cdnjs.cloudflare.com/ajax/libs/mathjax/2.7.7/MathJax.js?config=TeX-AMS_SVG-full'

def nbdev_process(fn:Path, dst:Path):
    "Run nbdev's docs processors on `fn` (as nbdev_docs does before Quarto) and write the result to `dst`."
    from execnb.nbio import read_nb, write_nb
    from nbdev.processors import FilterDefaults
    os.environ['IN_TEST'] = '1'
    nb = read_nb(fn)
    FilterDefaults()(nb)
    write_nb(nb, dst)

_OPT = re.compile(r'^\s*#\|\s*([\w\-]+)\s*:\s*(.*?)\s*$')

def quarto_options(src:str):
    "Leading `#| key: value` cell options (those Quarto reads) and the source without them."
    opts, lines = {}, src.splitlines()
    i = 0
    while i < len(lines) and lines[i].lstrip().startswith('#|'):
        m = _OPT.match(lines[i])
        if m: opts[m.group(1)] = m.group(2).strip('"\'')
        i += 1
    return opts, '\n'.join(lines[i:])

def quarto_emulate(nb):
    "Front matter as a title block; echo/output/include/fig-cap cell options; returns figure statistics."
    import nbformat, yaml
    cells, nfig, ncap = [], 0, 0
    for c in nb.cells:
        if c.cell_type == 'raw' and c.source.lstrip().startswith('---'):
            fm = yaml.safe_load(c.source.strip().strip('-')) or {}
            head = f"# {fm.get('title', '')}\n\n"
            if fm.get('description'): head += f"{fm['description']}\n\n"      # Quarto renders it as markdown
            meta = [str(fm[k]) for k in ('date',) if fm.get(k)] + [', '.join(fm.get('categories', []) or [])]
            if any(meta): head += f"<p class='meta'>{html.escape(' · '.join(m for m in meta if m))}</p>"
            cells.append(nbformat.v4.new_markdown_cell(head)); continue
        if c.cell_type != 'code': cells.append(c); continue
        for o in c.get('outputs', []):                  # pandoc link attributes nbconvert's markdown would print
            md = o.get('data', {}).get('text/markdown')
            if md: o['data']['text/markdown'] = re.sub(r'\)\{target="_blank"[^}]*\}', ')', ''.join(md))
        opts, c.source = quarto_options(c.source)
        if opts.get('include', '').lower() == 'false': continue
        if opts.get('echo', '').lower() == 'false': c.metadata.setdefault('tags', []).append('remove_input')
        if opts.get('output', '').lower() == 'false': c.outputs = []
        cells.append(c)
        imgs = sum(1 for o in c.get('outputs', []) if any(k.startswith('image/') for k in o.get('data', {})))
        nfig += imgs
        if imgs and opts.get('fig-cap'):
            ncap += imgs
            cells.append(nbformat.v4.new_markdown_cell(
                f"<p class='figure-caption'>Figure {ncap}: {opts['fig-cap']}</p>"))
        elif imgs:
            cells.append(nbformat.v4.new_markdown_cell("<p class='nocap'>(figure without a caption)</p>"))
    nb.cells = cells
    return nfig, ncap

def export_html(nb) -> str:
    from nbconvert import HTMLExporter
    from traitlets.config import Config
    from pygments.formatters import HtmlFormatter
    cfg = Config()
    cfg.TagRemovePreprocessor.enabled = True
    cfg.TagRemovePreprocessor.remove_input_tags = {'remove_input'}
    cfg.HTMLExporter.mathjax_url = mathjax_url()
    body, _ = HTMLExporter(config=cfg, template_name='lab').from_notebook_node(nb)
    css = (ROOT / 'nbs' / 'styles.css').read_text() if (ROOT / 'nbs' / 'styles.css').exists() else ''
    css += HtmlFormatter(style='dracula').get_style_defs('.jp-InputArea .highlight')
    css += """
.jp-InputArea .highlight, .jp-InputArea .highlight pre { background: #282a36 !important; color: #f8f8f2; }
.jp-InputArea-editor { background: #282a36 !important; border: none; }
body { max-width: 1100px; margin: 0 auto; font-family: system-ui, sans-serif; }
p.meta { color: #777; } p.nocap { color: #c00; font-size: 0.8em; }
p.figure-caption { text-align: center; font-size: 0.9em; color: #555; }
"""
    body = body.replace('</head>', f'<style>{css}</style>\n</head>', 1)
    body = re.sub(r'href="(?!https?:)([\w\-]+)\.ipynb(#[^"]*)?"', r'href="\1.html\2"', body)
    return body

def page_stats(fn:Path, html_text:str, nfig:int, ncap:int) -> str:
    import nbformat
    nb = nbformat.read(fn, as_version=4)
    md = '\n'.join(c.source for c in nb.cells if c.cell_type == 'markdown')
    n_math = len(re.findall(r'\$\$.+?\$\$|\$[^$\n]+\$', md, re.S))
    n_tables = html_text.count('<table')
    return f"{fn.name:<28} math {n_math:>3}  tables {n_tables:>3}  figures {nfig:>2}  captioned {ncap:>2}"

def main(out:str, names:list[str]):
    import nbformat
    out = Path(out); (out / 'proc').mkdir(parents=True, exist_ok=True)
    os.chdir(ROOT)
    nbs = sorted(p for p in (ROOT / 'nbs').glob('*.ipynb') if not p.name.startswith(('_', '.')))
    if names: nbs = [p for p in nbs if p.stem in names or p.name in names or any(p.stem.startswith(n) for n in names)]
    for fn in nbs:
        proc = out / 'proc' / fn.name
        try: nbdev_process(fn, proc)
        except Exception as e:
            (out / f'{fn.stem}.html').unlink(missing_ok=True)        # no stale page from an earlier run
            print(f"{fn.name:<28} nbdev processing FAILED (nbdev_docs would fail too): {type(e).__name__}: {e}")
            continue
        nb = nbformat.read(proc, as_version=4)
        nfig, ncap = quarto_emulate(nb)
        text = export_html(nb)
        (out / f'{fn.stem}.html').write_text(text)
        print(page_stats(fn, text, nfig, ncap))

if __name__ == '__main__':
    if len(sys.argv) < 2: sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2:])
