"""Benchmark: a claim-frequency model with nine rating factors, poisson_irls's factor designs against glum and scikit-learn.

    python bench/bench_factors.py            # n = 600,000 (with the dense path once), and the scaling in n
    python bench/bench_factors.py --quick    # small sizes, to check that everything runs

Needs the `bench` extra: pip install -e ".[dev,bench]".  Run it with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset.
Writes a markdown report and the raw numbers to bench/results/bench_factors.{md,json}.

The data have the shape of the French motor portfolio of glum's headline benchmark: nine rating factors with
12, 20, 80, 100, 11, 2, 6, 50 and 22 levels (about 300 treatment-coded columns), a Poisson claim count and an
exposure uniform on (0.05, 1). The factors are pandas Categorical columns, the input glum takes as categorical.

Methods (each starts from the same data frame):
- poisson_irls, glm_formula: 'ClaimNb ~ C(VehPower) + ... + C(Region)', exposure='Exposure' (factor codes);
- poisson_irls, glm: the Categorical columns and an intercept column as X (factor codes, no formula);
- poisson_irls, glm_formula(dense=True): formulaic's dense model matrix, the previous path (once, at the largest n);
- glum: GeneralizedLinearRegressor(family='poisson', alpha=0, drop_first=True) on the Categorical columns (tabmat),
  the offset log(exposure);
- scikit-learn: OneHotEncoder(drop='first') to a sparse matrix, then PoissonRegressor(solver='newton-cholesky',
  alpha=0) on the rate y/exposure with weights exposure (the same maximum);
- with standard errors: glm_formula and then `bse` (the last IRLS pass skips X'WX, which is formed by one more pass
  when first asked for), and glum with store_covariance_matrix=True. Neither glum's fit nor ours computes a
  covariance unless asked, so the first rows compare the same work, and these two the fit with its standard errors.
Time: wall time, best of --repeat runs taken in turn; CPU: that run's process time. On one core: glm_formula, glm
and glum again, in a subprocess pinned to one CPU with OMP_NUM_THREADS=OPENBLAS_NUM_THREADS=1 (what the second core
is doing then does not matter). Peak memory: tracemalloc during one more run, relative to the size of the dense
design (n x p float64). Coefficients: the largest absolute difference to poisson_irls's factor path.
"""
from __future__ import annotations
import argparse, gc, json, os, platform, subprocess, sys, time, tracemalloc, warnings
from pathlib import Path
import numpy as np
import pandas as pd

RESULTS = Path(__file__).resolve().parent / 'results'
FACTORS = dict(VehPower=12, VehAge=20, DrivAge=80, BonusMalus=100, VehBrand=11, VehGas=2, Area=6, Density=50, Region=22)
TEXT = ('VehBrand', 'VehGas', 'Area', 'Region')       # factors with text levels (the others: integer levels)
FORMULA = 'ClaimNb ~ ' + ' + '.join(f'C({k})' for k in FACTORS)
N = 600_000
SCALING = (75_000, 150_000, 300_000, 600_000, 1_200_000)
QUICK_N, QUICK_SCALING = 100_000, (50_000, 100_000)
PAUSE = 0.5    # seconds of rest before each timed call (OpenMP and BLAS threads of the previous call stop spinning)

def make_data(n:int, seed:int=0) -> pd.DataFrame:
    "Synthetic claim counts: nine Categorical rating factors with skewed level frequencies, exposure on (0.05, 1)."
    par, rng = np.random.default_rng(seed), np.random.default_rng(seed + 1)   # the model's parameters do not depend on n
    cols, eta = {}, np.full(n, -2.0)
    for nm, L in FACTORS.items():
        freq, effect = par.dirichlet(np.full(L, 5.0)), par.normal(0.0, 0.2, L)
        c = rng.choice(L, n, p=freq)
        eta += effect[c]
        levels = [f"{nm[:2]}{l:02d}" for l in range(L)] if nm in TEXT else list(range(1, L + 1))
        cols[nm] = pd.Categorical.from_codes(c, categories=levels)
    df = pd.DataFrame(cols)
    df['Exposure'] = rng.uniform(0.05, 1.0, n)
    df['ClaimNb'] = rng.poisson(df.Exposure.to_numpy() * np.exp(eta))
    return df

# ---- the fitters: each returns (coefficients in formulaic's column order, iterations) -----------------------

def fit_formula(df, dense=False):
    import poisson_irls as pirls
    r = pirls.glm_formula(FORMULA, df, exposure='Exposure', dense=dense)
    return np.asarray(r.params), r.n_iter

def fit_glm(df):
    import poisson_irls as pirls
    X = pd.concat([pd.Series(1.0, index=df.index, name='Intercept'), df[list(FACTORS)]], axis=1)
    r = pirls.glm(df.ClaimNb, X, exposure=df.Exposure)
    return np.asarray(r.params), r.n_iter

def fit_formula_bse(df):
    import poisson_irls as pirls
    r = pirls.glm_formula(FORMULA, df, exposure='Exposure')
    r.bse                                                     # X'WX at the estimate: one more pass, formed on demand
    return np.asarray(r.params), r.n_iter

def fit_glum(df, covariance=False):
    from glum import GeneralizedLinearRegressor
    m = GeneralizedLinearRegressor(family='poisson', alpha=0, drop_first=True, gradient_tol=1e-7)  # default 1e-4: ~1e-4 off
    m.fit(df[list(FACTORS)], df.ClaimNb, offset=np.log(df.Exposure.to_numpy()), store_covariance_matrix=covariance)
    return np.r_[m.intercept_, m.coef_], int(m.n_iter_)

def fit_sklearn(df):
    from sklearn.linear_model import PoissonRegressor
    from sklearn.preprocessing import OneHotEncoder
    Xs = OneHotEncoder(drop='first', sparse_output=True).fit_transform(df[list(FACTORS)])
    e = df.Exposure.to_numpy()
    m = PoissonRegressor(solver='newton-cholesky', alpha=0, tol=1e-7, max_iter=100)    # default tol 1e-4: ~1e-4 off
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        m.fit(Xs, df.ClaimNb.to_numpy() / e, sample_weight=e)
    return np.r_[m.intercept_, m.coef_], int(m.n_iter_)

FITTERS = {'poisson_irls glm_formula': fit_formula, 'poisson_irls glm (Categorical X)': fit_glm,
           'glum (categorical)': fit_glum, 'scikit-learn (one-hot, sparse)': fit_sklearn,
           'poisson_irls glm_formula, then bse': fit_formula_bse,
           'glum (categorical), store_covariance_matrix': lambda df: fit_glum(df, covariance=True),
           'poisson_irls glm_formula(dense=True)': lambda df: fit_formula(df, dense=True)}
OURS = 'poisson_irls glm_formula'
DENSE = 'poisson_irls glm_formula(dense=True)'

# ---- measurement --------------------------------------------------------------------------------------------

def timed(f, *args):
    "Wall time of one call and its result (after a pause and a garbage collection)."
    return timed_cpu(f, *args)[::2]

def timed_cpu(f, *args):
    "Wall time, CPU time (all threads of this process) and result of one call."
    gc.collect(); time.sleep(PAUSE)
    t, c = time.perf_counter(), time.process_time(); out = f(*args)
    return time.perf_counter() - t, time.process_time() - c, out

def peak_traced(f, *args) -> int:
    "Peak bytes allocated (and traced by tracemalloc) while f runs."
    gc.collect(); tracemalloc.start()
    try: f(*args)
    finally:
        peak = tracemalloc.get_traced_memory()[1]; tracemalloc.stop()
    return peak

def breakdown(df, repeat:int=5) -> dict:
    "Where one IRLS pass over the rows goes, for the factor design of the fit (milliseconds, best of `repeat`)."
    from poisson_irls.formula import formula_arrays
    from poisson_irls.inputs import row_source
    from poisson_irls.irls import irls, glm_pass, SAMPLE_FROM
    from poisson_irls.families import Poisson
    from poisson_irls import design
    from poisson_irls.rows import MemoryRows, GROUPS, default_threads
    y, X, keep, _, _ = formula_arrays(FORMULA, df)
    src, _ = row_source(y, X, Poisson(), exposure=df.Exposure.to_numpy())
    fit = irls(src, Poisson())
    beta, fam, blocks = fit.params_centred, Poisson(), src.blocks
    w = [np.exp(b.X.dot(beta) + b.offset) for b in blocks]                  # the weights at the estimate
    r = [b.y / wi - 1 for b, wi in zip(blocks, w)]
    p = src.p
    def gathers():
        for b in blocks: b.X.dot(beta)
    def crosstabs():
        for b, wi in zip(blocks, w):
            design._cross_blocks(np.zeros((p, p)), b.X.layout, b.X.group_codes(), wi)
    def gram():
        for b, wi, ri in zip(blocks, w, r): b.X.add_gram(np.zeros((p, p)), np.zeros(p), wi, ri)
    serial = MemoryRows(src.whole.y, src.whole.X, src.whole.offset, threads=1)    # the parts above are on one thread
    def one_pass(): serial.reduce(glm_pass, beta, fam, None, fit.shift)
    def light_pass(): serial.reduce(glm_pass, beta, fam, None, fit.shift, 'score')
    def threaded_pass(): src.reduce(glm_pass, beta, fam, None, fit.shift)
    fresh = lambda: MemoryRows(src.whole.y, src.whole.X, src.whole.offset)        # no conditioning decided yet
    best = lambda f: 1e3 * min(timed(f)[0] for _ in range(repeat))
    t = dict(gathers_ms=best(gathers), crosstabs_ms=best(crosstabs), gram_ms=best(gram), pass_ms=best(one_pass), light_pass_ms=best(light_pass),
             pass_threads_ms=best(threaded_pass), irls_ms=best(lambda: irls(fresh(), fam)),
             threads=default_threads(p, min(GROUPS, len(blocks))))
    K, ng = len(X.columns) - 1, len(blocks[0].X.layout.groups)
    t.update(blocks=len(blocks), rows_per_block=src.rows_per_block, pairs=K * (K - 1) // 2, groups=ng,
             group_pairs=ng * (ng - 1) // 2, n_iter=fit.n_iter,
             sampled_first_step=src.n >= SAMPLE_FROM, scipy_tables=bool(design.SCIPY_TABLES))
    return t

def bench_n(n:int, methods, repeat:int, seed:int=0, dense:bool=False) -> dict:
    "Time, iterations, peak memory and coefficient differences of every method at one size."
    df = make_data(n, seed)
    small = make_data(2000, seed + 1)
    with warnings.catch_warnings():                                          # too few rows for 295 columns: it warns
        warnings.simplefilter('ignore')
        for m in methods: FITTERS[m](small)                                  # warm up imports
    runs = {m: [] for m in methods}; cpu = {m: [] for m in methods}; out = {}
    for rep in range(repeat):                                                # round robin: noise hits all alike
        for m in methods:
            t, c, out[m] = timed_cpu(FITTERS[m], df)
            runs[m].append(t); cpu[m].append(c)
            print(f"  n={n:,}  {m:38s} {t:8.3f} s  (cpu {c:7.3f} s, {out[m][1]} iterations)", flush=True)
    if dense:
        t, c, out[DENSE] = timed_cpu(FITTERS[DENSE], df); runs[DENSE] = [t]; cpu[DENSE] = [c]
        print(f"  n={n:,}  {DENSE:38s} {t:8.3f} s  (cpu {c:7.3f} s, {out[DENSE][1]} iterations)", flush=True)
    ref = out[OURS][0]
    p = len(ref)
    rows = {}
    for m in runs:
        beta, it = out[m]
        peak = peak_traced(FITTERS[m], df)
        k = int(np.argmin(runs[m]))
        rows[m] = dict(time=runs[m][k], cpu=cpu[m][k], times=runs[m], cpus=cpu[m], iterations=it,
                       peak_mb=peak / 2**20, peak_over_dense=peak / (8 * n * p),
                       max_abs_diff=float(np.max(np.abs(beta - ref))),
                       max_rel_diff=float(np.max(np.abs(beta - ref) / np.maximum(np.abs(ref), 1e-300))))
    return dict(n=n, p=p, dense_mb=8 * n * p / 2**20, load_average=os.getloadavg(), methods=rows)

ONE_CORE = [OURS, 'poisson_irls glm (Categorical X)', 'glum (categorical)']

def one_core_worker(n:int, repeat:int, seed:int):
    "Pinned to one CPU, time ONE_CORE round robin; print their best times as JSON (run by one_core in a subprocess)."
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})              # the row source then picks one thread
    df, small = make_data(n, seed), make_data(2000, seed + 1)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        for m in ONE_CORE: FITTERS[m](small)
    runs = {m: [] for m in ONE_CORE}
    for rep in range(repeat):
        for m in ONE_CORE: runs[m].append(timed(FITTERS[m], df)[0])
    print(json.dumps({m: dict(time=min(v), times=v) for m, v in runs.items()}))

def one_core(n:int, repeat:int, seed:int) -> dict:
    "The ONE_CORE fits on one CPU (a subprocess: OpenMP, BLAS and the row source on one thread), best of `repeat`."
    env = {**os.environ, 'OMP_NUM_THREADS': '1', 'OPENBLAS_NUM_THREADS': '1'}
    cmd = [sys.executable, str(Path(__file__).resolve()), '--one-core-worker', '--n', str(n), '--repeat', str(repeat),
           '--seed', str(seed)]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])

def environment() -> dict:
    import numpy, scipy
    vers = {'python': platform.python_version(), 'numpy': numpy.__version__, 'scipy': scipy.__version__, 'pandas': pd.__version__}
    for mod in ('poisson_irls', 'formulaic', 'glum', 'tabmat', 'sklearn'):
        try: vers[mod] = __import__(mod).__version__
        except (ImportError, AttributeError): vers[mod] = None
    cpu = next((l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')), platform.processor()) \
        if os.path.exists('/proc/cpuinfo') else platform.processor()
    return dict(date=time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime()), cpu=cpu, cores=os.cpu_count(),
                load_average=os.getloadavg(), versions=vers,
                env={k: os.environ.get(k) for k in ('OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE', 'OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS')})

# ---- report ---------------------------------------------------------------------------------------------------

def table(res:dict) -> str:
    "Markdown table of one size."
    rows = res['methods']
    head = (f"**n = {res['n']:,}, p = {res['p']}** (the dense design would be {res['dense_mb']:.0f} MB)\n\n"
            "| method | time (s) | CPU (s) | iterations | glum's time / this time | peak memory / dense design | "
            "max abs coef diff to glm_formula |\n|---|---:|---:|---:|---:|---:|---:|\n")
    glum = rows.get('glum (categorical)')
    lines = [f"| {m} | {r['time']:.3f} | {r['cpu']:.3f} | {r['iterations']} | {glum['time'] / r['time']:.2f} | {r['peak_over_dense']:.3f} | "
             f"{r['max_abs_diff']:.1e} |" for m, r in rows.items()] if glum else []
    return head + '\n'.join(lines) + '\n'

def scaling_table(sc:list) -> str:
    "Markdown table of the scaling in n: time and time per million rows of each method."
    ms = list(sc[0]['methods'])
    head = '| n | ' + ' | '.join(f"{m} (s)" for m in ms) + ' | ' + ' | '.join(f"{m} (s per 10^6 rows)" for m in ms[:1]) + ' |\n'
    head += '|---:|' + '---:|' * (len(ms) + 1) + '\n'
    lines = [f"| {r['n']:,} | " + ' | '.join(f"{r['methods'][m]['time']:.3f}" for m in ms) +
             f" | {r['methods'][ms[0]]['time'] / r['n'] * 1e6:.3f} |" for r in sc]
    return head + '\n'.join(lines) + '\n'

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--quick', action='store_true', help='small sizes, to check the script')
    ap.add_argument('--repeat', type=int, default=7, help='timed runs per method at the main size (best is reported)')
    ap.add_argument('--scaling-repeat', type=int, default=3, help='timed runs per method and size in the scaling')
    ap.add_argument('--no-dense', action='store_true', help='skip the dense path (about 15 s and 3 GB at n = 600,000)')
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--out', default=str(RESULTS))
    ap.add_argument('--one-core-worker', action='store_true', help=argparse.SUPPRESS)
    ap.add_argument('--n', type=int, default=N, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.one_core_worker: return one_core_worker(a.n, a.repeat, a.seed)
    n, scaling = (QUICK_N, QUICK_SCALING) if a.quick else (N, SCALING)
    for v in ('OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'):
        if os.environ.get(v): print(f"note: {v}={os.environ[v]} is set; the targets are for it unset")
    env = environment()
    print(f"{env['date']}  {env['cpu']}  {env['cores']} cores  load {env['load_average']}", flush=True)
    main_methods = [m for m in FITTERS if m != DENSE]
    res = bench_n(n, main_methods, a.repeat, a.seed, dense=not a.no_dense)
    oc = one_core(n, a.repeat, a.seed)
    print('  one core: ' + ', '.join(f"{m} {v['time']:.3f} s" for m, v in oc.items()), flush=True)
    bd = breakdown(make_data(n, a.seed))
    print(f"  breakdown: {bd}", flush=True)
    sc = [bench_n(m, [OURS, 'glum (categorical)', 'scikit-learn (one-hot, sparse)'], a.scaling_repeat, a.seed) for m in scaling]
    r = res['methods']
    glum_ratio = r['glum (categorical)']['time'] / r[OURS]['time']
    md = (f"# Nine rating factors: claim-frequency benchmark\n\n"
          f"{env['date']}, {env['cpu']}, {env['cores']} cores, load average at start "
          f"{', '.join(f'{v:.2f}' for v in env['load_average'])}, at the end {', '.join(f'{v:.2f}' for v in os.getloadavg())}.  \n"
          f"Versions: {', '.join(f'{k} {v}' for k, v in env['versions'].items())}.  \n"
          f"Environment: {', '.join(f'{k}={v}' for k, v in env['env'].items() if v is not None) or 'no OPENBLAS_/OMP_ variables set'}.  \n"
          f"Formula: `{FORMULA}`, exposure='Exposure'. Time: wall time, best of {a.repeat} runs taken in turn (the dense path: one run); "
          "CPU: the process time of that run, all threads. Peak memory: tracemalloc during one more run, relative to the "
          "size of the dense design (n × p float64; memory "
          "allocated outside Python's allocator hooks, as by C++ code, is not traced).\n\n"
          + table(res) +
          f"\nglm_formula is {glum_ratio:.2f} times as fast as glum in this run.\n\n"
          f"**On one core** (the same fits in a process pinned to one CPU, with OpenMP, BLAS and the row source on one "
          f"thread, so that the result does not depend on how free the second core is; best of {a.repeat}): "
          + ', '.join(f"{m} {v['time']:.3f} s" for m, v in oc.items()) +
          f"; glum's time / glm_formula's {oc['glum (categorical)']['time'] / oc[OURS]['time']:.2f}, "
          f"/ glm's {oc['glum (categorical)']['time'] / oc['poisson_irls glm (Categorical X)']['time']:.2f}.\n\n"
          f"**One IRLS pass at n = {n:,}** ({bd['blocks']} blocks of {bd['rows_per_block']:,} rows, {bd['pairs']} pairs of factors; "
          f"the fit takes {bd['n_iter']} iterations{', the first on a sample' if bd['sampled_first_step'] else ''}): X·β by gathers {bd['gathers_ms']:.1f} ms, "
          f"the {bd['group_pairs']} weighted cross-tabulations of the {bd['groups']} groups of factors' pairs, with the {bd['pairs']} factor "
          f"pairs' tables read off them, {bd['crosstabs_ms']:.1f} ms, all of X'WX and X'Wr {bd['gram_ms']:.1f} ms, "
          f"the whole pass (means, deviance, weights, X'WX, X'Wr) {bd['pass_ms']:.1f} ms, the last pass of a fit (no X'WX) "
          f"{bd['light_pass_ms']:.1f} ms, all on one thread; the pass on "
          f"{bd['threads']} threads (the row source's default) {bd['pass_threads_ms']:.1f} ms, and the solver's whole fit "
          f"(irls on the prepared rows) {bd['irls_ms']:.0f} ms.\n\n"
          "**Scaling in n** (best of {} runs):\n\n".format(a.scaling_repeat) + scaling_table(sc))
    print('\n' + md)
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    stem = 'bench_factors_quick' if a.quick else 'bench_factors'
    (out / f'{stem}.md').write_text(md)
    (out / f'{stem}.json').write_text(json.dumps(dict(environment=env, command=' '.join([Path(sys.argv[0]).name] + (argv or sys.argv[1:])),
                                                      main=res, one_core=oc, breakdown=bd, scaling=sc), indent=1,
                                                 default=float))
    print(f"wrote {out / (stem + '.md')} and {out / (stem + '.json')}")

if __name__ == '__main__': main()
