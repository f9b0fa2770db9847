// lorenz_rk4.cu - the floor for the RK4 benchmarks: a hand-written
// one-thread-per-run classical RK4 Lorenz kernel in float32, state in
// registers, run index fastest in every array (coalesced loads and stores).
// Compiled at run time by NVRTC (bench/gpu_lorenz.c), so the floor and odeon
// go through the same compiler with the same options.
//
// y0 [3][n], rho [n]; out [n_out][3][n] with sample k after k*save_steps
// steps (k = 0 .. steps/save_steps); save_steps = steps saves start and end.
extern "C" __global__ void lorenz_rk4_floor(const float *__restrict__ y0,
                                            const float *__restrict__ rho,
                                            float *__restrict__ out, int n,
                                            float dt, int steps,
                                            int save_steps) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n)
    return;
  const float sigma = 10.0f, beta = 8.0f / 3.0f;
  const float r = rho[i];
  float x = y0[i], y = y0[n + i], z = y0[2 * n + i];
  const float h2 = 0.5f * dt, h6 = dt / 6.0f;
  long long o = i;
  out[o] = x;
  out[o + n] = y;
  out[o + 2 * (long long)n] = z;
  for (int s = 1; s <= steps; s++) {
    float k1x = sigma * (y - x), k1y = x * (r - z) - y, k1z = x * y - beta * z;
    float tx = x + h2 * k1x, ty = y + h2 * k1y, tz = z + h2 * k1z;
    float k2x = sigma * (ty - tx), k2y = tx * (r - tz) - ty,
          k2z = tx * ty - beta * tz;
    tx = x + h2 * k2x, ty = y + h2 * k2y, tz = z + h2 * k2z;
    float k3x = sigma * (ty - tx), k3y = tx * (r - tz) - ty,
          k3z = tx * ty - beta * tz;
    tx = x + dt * k3x, ty = y + dt * k3y, tz = z + dt * k3z;
    float k4x = sigma * (ty - tx), k4y = tx * (r - tz) - ty,
          k4z = tx * ty - beta * tz;
    x += h6 * (k1x + 2.0f * k2x + 2.0f * k3x + k4x);
    y += h6 * (k1y + 2.0f * k2y + 2.0f * k3y + k4y);
    z += h6 * (k1z + 2.0f * k2z + 2.0f * k3z + k4z);
    if (s % save_steps == 0) {
      o += 3 * (long long)n;
      out[o] = x;
      out[o + n] = y;
      out[o + 2 * (long long)n] = z;
    }
  }
}
