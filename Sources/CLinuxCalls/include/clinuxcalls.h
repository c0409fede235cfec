#ifndef SEALGATE_CLINUXCALLS_H
#define SEALGATE_CLINUXCALLS_H

/// Makes a pipe whose two ends are close-on-exec from the start (pipe2 with O_CLOEXEC). Swift's Glibc module is
/// built without _GNU_SOURCE and does not see pipe2; pipe() followed by fcntl() could leak both ends into a child
/// spawned in between. Returns 0, or -1 with errno set.
int sealgate_pipe_cloexec(int fds[2]);

#endif
