/* run_program.c - fork/exec a program with its output captured through
 * pipes, read with poll() and a deadline, then reaped; a program that runs
 * past the deadline is killed and reported as timed out. */
#include "run_program.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int append(char **buf, size_t *len, const char *data, size_t n) {
  char *p = realloc(*buf, *len + n + 1);
  if (!p)
    return -1;
  memcpy(p + *len, data, n);
  *len += n;
  p[*len] = '\0';
  *buf = p;
  return 0;
}

int run_program(char *const argv[], double timeout_s, program_result *r) {
  memset(r, 0, sizeof *r);
  int out_pipe[2], err_pipe[2];
  if (pipe(out_pipe) || pipe(err_pipe))
    return -1;
  pid_t pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    close(out_pipe[0]);
    close(err_pipe[0]);
    close(out_pipe[1]);
    close(err_pipe[1]);
    execv(argv[0], argv);
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  size_t out_len = 0, err_len = 0;
  append(&r->out, &out_len, "", 0);
  append(&r->err, &err_len, "", 0);
  struct pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2, timed_out = 0;
  double deadline = now() + timeout_s;
  while (open_fds > 0) {
    double left = deadline - now();
    if (left <= 0) {
      timed_out = 1;
      break;
    }
    int n = poll(fds, 2, (int)(left * 1000) + 1);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      continue;
    for (int i = 0; i < 2; i++) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
        continue;
      char buf[4096];
      ssize_t got = read(fds[i].fd, buf, sizeof buf);
      if (got <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        open_fds--;
      } else if (i == 0) {
        append(&r->out, &out_len, buf, (size_t)got);
      } else {
        append(&r->err, &err_len, buf, (size_t)got);
      }
    }
  }
  for (int i = 0; i < 2; i++)
    if (fds[i].fd >= 0)
      close(fds[i].fd);
  if (timed_out)
    kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (timed_out)
    r->exit_code = -1;
  else if (WIFEXITED(status))
    r->exit_code = WEXITSTATUS(status);
  else
    r->exit_code = 128 + WTERMSIG(status);
  return 0;
}

void program_result_free(program_result *r) {
  free(r->out);
  free(r->err);
  memset(r, 0, sizeof *r);
}
