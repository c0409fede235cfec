#ifndef SEALGATE_CLINUXCALLS_H
#define SEALGATE_CLINUXCALLS_H

/// Makes a pipe whose two ends are close-on-exec from the start (pipe2 with O_CLOEXEC). Swift's Glibc module is
/// built without _GNU_SOURCE and does not see pipe2; pipe() followed by fcntl() could leak both ends into a child
/// spawned in between. Returns 0, or -1 with errno set.
int sealgate_pipe_cloexec(int fds[2]);

/// The read end of the process's signal pipe (made on the first call; close-on-exec, non-blocking): every signal
/// caught with `sealgate_catch_signal` writes its number there as one byte. A handler runs whichever thread the
/// kernel picks for the signal; and, unlike an ignored signal, a caught one is back to its default action in a
/// program this process executes. Returns -1 with errno set.
int sealgate_signal_pipe(void);

/// Catches `signo` with the handler that writes to the signal pipe (make the pipe first). Returns 0, or -1.
int sealgate_catch_signal(int signo);

/// Puts `signo` back to its default action.
int sealgate_default_signal(int signo);

#endif
