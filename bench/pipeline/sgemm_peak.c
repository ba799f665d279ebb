/* One-thread fp32 GEMM peak of this core through OpenBLAS (cblas_sgemm), the yardstick for the
 * GFLOP/s each face model reaches (bench/pipeline/run.sh compiles and runs it in the same run).
 * Prints the best of several 1024^3 and 512^3 products, in GFLOP/s.
 *   cc -O2 sgemm_peak.c -lopenblas && OPENBLAS_NUM_THREADS=1 ./a.out
 * With -DWITH_DNNL the same products go through oneDNN's dnnl_sgemm instead (its JIT kernels use
 * AVX-512 at full width where Debian's OpenBLAS 0.3.21 does not know the core: on Zen 5 the
 * two differ by ~2x, and the fast backend is measured against both):
 *   cc -O2 -DWITH_DNNL sgemm_peak.c -ldnnl && OMP_NUM_THREADS=1 ./a.out */
#ifdef WITH_DNNL
#include <oneapi/dnnl/dnnl.h>
#else
#include <cblas.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double Now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(void) {
#ifndef WITH_DNNL
  openblas_set_num_threads(1);
#endif
  double best = 0;
  const int sizes[] = {512, 1024};
  for (int s = 0; s < 2; ++s) {
    const int n = sizes[s];
    float* a = malloc(sizeof(float) * n * n);
    float* b = malloc(sizeof(float) * n * n);
    float* c = malloc(sizeof(float) * n * n);
    for (int i = 0; i < n * n; ++i) a[i] = (float)(i % 13) / 13.0f, b[i] = (float)(i % 7) / 7.0f;
    for (int rep = 0; rep < 8; ++rep) {
      const double t0 = Now();
#ifdef WITH_DNNL
      dnnl_sgemm('N', 'N', n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
#else
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
#endif
      const double g = 2.0 * n * n * n / (Now() - t0) / 1e9;
      if (g > best) best = g;
    }
    free(a), free(b), free(c);
  }
  printf("%.1f\n", best);
  return 0;
}
