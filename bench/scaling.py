"""How poisson_irls's fit time grows with n and with p; writes a JSON table and two log-log plots.

    python bench/scaling.py            # n = 1e4 ... 2e6 at p = 20, and p = 5 ... 200 at n = 2e5
    python bench/scaling.py --quick    # a smaller grid, to check the script

Per size: the wall time of `pirls.glm` (best of --repeat), its iterations, the time per iteration, and the
floor per iteration (one blocked weighted Gram + one X @ beta), all on the synthetic data of bench_fit.py.
Outputs: bench/results/scaling.json, scaling_n.png, scaling_p.png.
"""
from __future__ import annotations
import argparse, json, sys
from pathlib import Path
import numpy as np
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_fit import make_data, timed, floor_times, environment, blas_info, RESULTS

N_GRID = [10_000, 30_000, 100_000, 300_000, 1_000_000, 2_000_000]
P_GRID = [5, 10, 20, 50, 100, 200]
QUICK_N, QUICK_P = [10_000, 30_000, 100_000], [5, 10, 20, 40]

def measure(n:int, p:int, repeat:int) -> dict:
    "Fit time, iterations and floor of one size."
    import poisson_irls as pirls
    X, y, exposure = make_data(n, p)
    ts = []
    for _ in range(repeat):
        t, r = timed(lambda: pirls.glm(y, X, exposure=exposure))
        ts.append(t)
    tg, tx = floor_times(X, np.asarray(r.mu), np.asarray(r.params), max(repeat, 3))
    row = dict(n=n, p=p, time=min(ts), times=ts, iterations=r.n_iter, per_iter=min(ts) / r.n_iter,
               gram=tg, xbeta=tx, floor_per_iter=tg + tx)
    print(f"  n={n:>9,} p={p:>3}  {row['time']:7.3f} s  {r.n_iter} it  {row['per_iter'] * 1e3:8.2f} ms/it  "
          f"floor {row['floor_per_iter'] * 1e3:8.2f} ms/it  ratio {row['per_iter'] / row['floor_per_iter']:.2f}", flush=True)
    return row

def plot(rows:list, x:str, slope:int, fixed:str, path:Path):
    "Log-log plot of time per iteration against `x`, with the floor and a reference line of the given slope."
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    xs = np.array([r[x] for r in rows], float)
    per, fl = np.array([r['per_iter'] for r in rows]), np.array([r['floor_per_iter'] for r in rows])
    fig, ax = plt.subplots(figsize=(5.5, 4))
    ax.loglog(xs, per * 1e3, 'o-', label='poisson_irls: fit time / iterations')
    ax.loglog(xs, fl * 1e3, 's--', label='floor: weighted Gram + X·β')
    ref = per[-1] * (xs / xs[-1]) ** slope
    ax.loglog(xs, ref * 1e3, ':', color='grey', label=f'∝ {x}' + ('²' if slope == 2 else ''))
    ax.set_xlabel(x); ax.set_ylabel('milliseconds per iteration')
    ax.set_title(f'Time per IRLS iteration vs {x} ({fixed})')
    ax.legend(fontsize=8); ax.grid(True, which='both', alpha=0.3)
    fig.tight_layout(); fig.savefig(path, dpi=110); plt.close(fig)

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--quick', action='store_true', help='a small grid, to check the script')
    ap.add_argument('--repeat', type=int, default=3, help='fits per size; the best time is kept')
    ap.add_argument('--out', default=str(RESULTS))
    a = ap.parse_args(argv)
    ns, ps = (QUICK_N, QUICK_P) if a.quick else (N_GRID, P_GRID)
    n_fixed, p_fixed = (30_000, 20) if a.quick else (200_000, 20)
    env = environment()
    print(f"{env['date']}  load {env['load_average']}\nvs n at p = {p_fixed}:", flush=True)
    by_n = [measure(n, p_fixed, a.repeat) for n in ns]
    print(f"vs p at n = {n_fixed:,}:", flush=True)
    by_p = [measure(n_fixed, p, a.repeat) for p in ps]
    env['blas'] = blas_info()
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    stem = 'scaling_quick' if a.quick else 'scaling'
    (out / f'{stem}.json').write_text(json.dumps(dict(environment=env, by_n=by_n, by_p=by_p), indent=1, default=float))
    plot(by_n, 'n', 1, f'p = {p_fixed}', out / f'{stem}_n.png')
    plot(by_p, 'p', 2, f'n = {n_fixed:,}', out / f'{stem}_p.png')
    print(f"wrote {out / (stem + '.json')}, {stem}_n.png, {stem}_p.png")

if __name__ == '__main__': main()
