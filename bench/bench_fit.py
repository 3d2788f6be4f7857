"""Benchmark: poisson_irls against statsmodels, scikit-learn and glum on a Poisson GLM with exposure.

    python bench/bench_fit.py             # n = 400,000, p = 40 and n = 1,000,000, p = 50
    python bench/bench_fit.py --quick     # small sizes, to check that everything runs

Needs the `bench` extra: pip install -e ".[dev,bench]".  Prints a markdown table and writes it, with the
raw numbers and a description of the machine and BLAS, to bench/results/bench_fit.{md,json}.

Columns: wall time (best of --repeat runs; statsmodels is run once), IRLS/Newton iterations, peak memory
traced by tracemalloc during one extra fit, relative to the size of X, and the largest absolute coefficient
difference to statsmodels. The *floor* is iterations x (one blocked weighted Gram X'WX + one X @ beta),
timed on the same data in the same run: no IRLS fitter that reads X once per iteration can beat it.
"""
from __future__ import annotations
import argparse, gc, json, os, platform, sys, time, tracemalloc, warnings
from pathlib import Path
import numpy as np

RESULTS = Path(__file__).resolve().parent / 'results'
SIZES = [(400_000, 40), (1_000_000, 50)]
QUICK_SIZES = [(40_000, 10), (100_000, 20)]
METHODS = ('poisson_irls', 'statsmodels', 'sklearn', 'glum')

def make_data(n:int, p:int, seed:int=0):
    "Synthetic Poisson data with exposure: X (n x p, intercept first, float64, C order), y, exposure."
    rng = np.random.default_rng(seed)
    X = np.empty((n, p))
    X[:, 0] = 1.0
    k = (p - 1) // 2                                           # half Gaussian, half 0/1 dummies
    X[:, 1:1 + k] = rng.standard_normal((n, k))
    X[:, 1 + k:] = rng.random((n, p - 1 - k)) < 0.3
    beta = np.r_[-0.5, rng.normal(0.0, 0.3 / np.sqrt(p), p - 1)]
    exposure = rng.uniform(0.2, 2.0, n)
    y = rng.poisson(exposure * np.exp(X @ beta)).astype(float)
    return X, y, exposure

# ---- the fitters: each returns (coefficients in the column order of X, iterations) -----------------------

def fit_pirls(X, y, exposure, Xnc):
    import poisson_irls as pirls
    r = pirls.glm(y, X, exposure=exposure)
    return np.asarray(r.params), r.n_iter

def fit_statsmodels(X, y, exposure, Xnc):
    import statsmodels.api as sm
    r = sm.GLM(y, X, family=sm.families.Poisson(), exposure=exposure).fit()   # IRLS, tol=1e-8
    return np.asarray(r.params), int(r.fit_history['iteration'])

def fit_sklearn(X, y, exposure, Xnc):
    # exposure: the Poisson MLE with offset log(e) equals the weighted MLE for the rate y/e with weights e
    from sklearn.linear_model import PoissonRegressor
    m = PoissonRegressor(solver='newton-cholesky', alpha=0, tol=1e-7, max_iter=100)   # default tol 1e-4: ~1e-4 off
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        m.fit(Xnc, y / exposure, sample_weight=exposure)
    return np.r_[m.intercept_, m.coef_], int(m.n_iter_)

def fit_glum(X, y, exposure, Xnc):
    from glum import GeneralizedLinearRegressor
    m = GeneralizedLinearRegressor(family='poisson', alpha=0, gradient_tol=1e-7)   # default 1e-4: up to ~1e-4 off
    m.fit(Xnc, y, offset=np.log(exposure))                    # glum takes the offset directly
    return np.r_[m.intercept_, m.coef_], int(m.n_iter_)

FITTERS = dict(poisson_irls=fit_pirls, statsmodels=fit_statsmodels, sklearn=fit_sklearn, glum=fit_glum)

# ---- measurement ----------------------------------------------------------------------------------------

PAUSE = 0.5   # seconds of rest before each timed call: OpenMP and BLAS worker threads of the previous call stop spinning

def timed(f, *args):
    "Wall time of one call and its result."
    gc.collect(); time.sleep(PAUSE)
    t = time.perf_counter(); out = f(*args)
    return time.perf_counter() - t, out

def timed_cpu(f, *args):
    "Wall time, CPU time (all threads of this process) and result of one call."
    gc.collect(); time.sleep(PAUSE)
    t, c = time.perf_counter(), time.process_time(); out = f(*args)
    return time.perf_counter() - t, time.process_time() - c, out

def peak_traced(f, *args) -> int:
    "Peak bytes allocated (and traced by tracemalloc) while f runs."
    gc.collect()
    tracemalloc.start()
    try: f(*args)
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak

def _gram(block) -> dict:
    "X'WX of a block of rows, with the block's weights as W (a row-source kernel)."
    G = np.zeros((block.X.shape[1],) * 2)
    block.X.add_gram(G, None, block.weights)
    return {'G': G}

def floor_times(X, w, beta, repeat:int=1):
    "Best time of one weighted Gram X'WX summed as the solver sums it (its row source) and of one X @ beta."
    from poisson_irls.rows import MemoryRows
    from poisson_irls.design import DenseDesign
    src = MemoryRows(np.zeros(len(X)), DenseDesign(X), weights=w)
    tg = min(timed(src.reduce, _gram)[0] for _ in range(repeat))
    tx = min(timed(np.dot, X, beta)[0] for _ in range(repeat))
    return tg, tx

def blas_info() -> list[dict]:
    "The BLAS and OpenMP libraries loaded, with their kernels and thread counts (threadpoolctl)."
    from threadpoolctl import threadpool_info
    keep = ('user_api', 'internal_api', 'prefix', 'version', 'architecture', 'threading_layer', 'num_threads', 'filepath')
    return [{k: d.get(k) for k in keep} for d in threadpool_info()]

def environment() -> dict:
    import numpy, scipy
    vers = {'python': platform.python_version(), 'numpy': numpy.__version__, 'scipy': scipy.__version__}
    for mod in ('poisson_irls', 'statsmodels', 'sklearn', 'glum'):
        try: vers[mod] = __import__(mod).__version__
        except ImportError: vers[mod] = None
    cpu = next((l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')), platform.processor()) \
        if os.path.exists('/proc/cpuinfo') else platform.processor()
    return dict(date=time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime()), cpu=cpu, cores=os.cpu_count(),
                load_average=os.getloadavg(), versions=vers,
                env={k: os.environ.get(k) for k in ('OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE', 'OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS')})

def bench_size(n:int, p:int, methods, repeat:int, seed:int=0) -> dict:
    "Time, iterations, peak memory and coefficient differences of every method at one size, plus the floor."
    import poisson_irls as pirls
    X, y, exposure = make_data(n, p, seed)
    Xnc = np.ascontiguousarray(X[:, 1:])                      # sklearn and glum add their own intercept
    for m in methods: FITTERS[m](X[:2000], y[:2000], exposure[:2000], Xnc[:2000])   # warm up imports
    ours = pirls.glm(y, X, exposure=exposure)                 # weights and coefficients for the floor
    w, b = np.asarray(ours.mu), np.asarray(ours.params)
    times = {m: [] for m in methods}; cpu = {m: [] for m in methods}; out = {}; tg, tx = [], []
    for r in range(repeat):                                    # round robin, so that noise hits all alike
        for m in methods:
            if m == 'statsmodels' and r > 0: continue          # ~20x slower: one run is plenty
            t, c, out[m] = timed_cpu(FITTERS[m], X, y, exposure, Xnc)
            times[m].append(t); cpu[m].append(c)
            print(f"  n={n:,} p={p}  {m:13s} {t:8.3f} s  (cpu {c:7.3f} s, {out[m][1]} iterations)", flush=True)
        g, x = floor_times(X, w, b)
        tg.append(g); tx.append(x)
        print(f"  n={n:,} p={p}  floor parts: Gram {g * 1e3:.1f} ms, X·β {x * 1e3:.1f} ms", flush=True)
    peaks = {m: peak_traced(FITTERS[m], X, y, exposure, Xnc) for m in methods}
    ref = out['statsmodels'][0] if 'statsmodels' in out else None
    rows = {}
    for m in methods:
        beta, it = out[m]
        k = int(np.argmin(times[m]))
        rows[m] = dict(time=times[m][k], cpu=cpu[m][k], times=times[m], iterations=it, peak_mb=peaks[m] / 2**20,
                       peak_over_X=peaks[m] / X.nbytes,
                       max_abs_diff=float(np.max(np.abs(beta - ref))) if ref is not None else None)
    floor = ours.n_iter * (min(tg) + min(tx))
    return dict(n=n, p=p, X_mb=X.nbytes / 2**20, gram_s=min(tg), xbeta_s=min(tx), gram_times=tg, xbeta_times=tx,
                floor_iterations=ours.n_iter, floor_s=floor, load_average=os.getloadavg(), methods=rows)

def table(res:dict) -> str:
    "Markdown table of one size."
    rows = res['methods']; sm = rows.get('statsmodels')
    head = (f"**n = {res['n']:,}, p = {res['p']}** (X is {res['X_mb']:.0f} MB; floor = {res['floor_iterations']} × "
            f"(Gram {res['gram_s'] * 1e3:.0f} ms + X·β {res['xbeta_s'] * 1e3:.0f} ms) = {res['floor_s']:.3f} s)\n\n"
            "| method | time (s) | CPU (s) | iterations | vs statsmodels | vs floor | peak memory / X | max abs coef diff to statsmodels |\n"
            "|---|---:|---:|---:|---:|---:|---:|---:|\n")
    lines = []
    for m, r in rows.items():
        speed = f"{sm['time'] / r['time']:.1f}× faster" if sm and m != 'statsmodels' else '1'
        diff = f"{r['max_abs_diff']:.1e}" if r['max_abs_diff'] is not None else '–'
        lines.append(f"| {m} | {r['time']:.3f} | {r['cpu']:.3f} | {r['iterations']} | {speed} | {r['time'] / res['floor_s']:.2f} | "
                     f"{r['peak_over_X']:.2f} | {diff} |")
    lines.append(f"| floor ({res['floor_iterations']} × (Gram + X·β)) | {res['floor_s']:.3f} | | {res['floor_iterations']} | | 1.00 | | |")
    return head + '\n'.join(lines) + '\n'

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--quick', action='store_true', help=f'small sizes {QUICK_SIZES}, to check the script')
    ap.add_argument('--sizes', default=None, help='comma-separated NxP, e.g. 400000x40,1000000x50')
    ap.add_argument('--methods', default=','.join(METHODS), help=f'comma-separated subset of {METHODS}')
    ap.add_argument('--repeat', type=int, default=3, help='timed runs per method (best is reported; statsmodels once)')
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--out', default=str(RESULTS), help='directory for bench_fit.md and bench_fit.json')
    ap.add_argument('--name', default=None, help='file stem of the outputs (default bench_fit, or bench_fit_quick)')
    a = ap.parse_args(argv)
    sizes = ([tuple(int(v) for v in s.lower().split('x')) for s in a.sizes.split(',')] if a.sizes
             else QUICK_SIZES if a.quick else SIZES)
    methods = [m.strip() for m in a.methods.split(',')]
    bad = [m for m in methods if m not in FITTERS]
    if bad: ap.error(f"unknown methods {bad}; choose from {METHODS}")
    if os.environ.get('OPENBLAS_CORETYPE'):
        print(f"note: OPENBLAS_CORETYPE={os.environ['OPENBLAS_CORETYPE']} is set; the issue's targets are for it unset")
    env = environment()
    print(f"{env['date']}  {env['cpu']}  {env['cores']} cores  load {env['load_average']}", flush=True)
    results = [bench_size(n, p, methods, a.repeat, a.seed) for n, p in sizes]
    env['blas'] = blas_info()
    blas = '; '.join(f"{d['internal_api']} {d['version']} ({d['architecture']} kernel, {d['num_threads']} threads, {Path(d['filepath']).parent.name if d.get('filepath') else d['prefix']})"
                     for d in env['blas'] if d['user_api'] == 'blas')
    omp = '; '.join(f"{d['prefix']} ({d['num_threads']} threads)" for d in env['blas'] if d['user_api'] == 'openmp')
    md = (f"# Poisson GLM with exposure: fit benchmark\n\n"
          f"{env['date']}, {env['cpu']}, {env['cores']} cores, load average at start {', '.join(f'{v:.2f}' for v in env['load_average'])}.  \n"
          f"BLAS: {blas}.  \nOpenMP: {omp or 'none loaded'}.  \n"
          f"Versions: {', '.join(f'{k} {v}' for k, v in env['versions'].items())}.  \n"
          f"Environment: {', '.join(f'{k}={v}' for k, v in env['env'].items() if v is not None) or 'no OPENBLAS_/OMP_ variables set'}.  \n"
          f"Time: wall time, best of {a.repeat} runs taken in turn (statsmodels: one run); CPU: process time of that run, all threads. "
          f"Floor: the fit's iterations × (best weighted Gram + best X·β, timed between the rounds). Peak memory: tracemalloc, "
          f"one more run each, relative to the size of X (memory allocated outside Python's allocator hooks, e.g. by C++ code, is not traced). "
          f"Load average at the end: {', '.join(f'{v:.2f}' for v in os.getloadavg())}.\n\n"
          + '\n'.join(table(r) for r in results))
    print('\n' + md)
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    stem = a.name or ('bench_fit_quick' if a.quick else 'bench_fit')
    (out / f'{stem}.md').write_text(md)
    (out / f'{stem}.json').write_text(json.dumps(dict(environment=env, command=' '.join([Path(sys.argv[0]).name] + (argv or sys.argv[1:])),
                                                      results=results), indent=1, default=float))
    print(f"wrote {out / (stem + '.md')} and {out / (stem + '.json')}")
    return results

if __name__ == '__main__': main()
