#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include "clinuxcalls.h"

int sealgate_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}

static int signal_pipe[2] = {-1, -1};

static void note_signal(int signo) {
    int saved = errno;  // a handler must leave errno as it found it
    unsigned char byte = (unsigned char)signo;
    ssize_t ignored = write(signal_pipe[1], &byte, 1);  // a full pipe drops the note: the reader is behind anyway
    (void)ignored;
    errno = saved;
}

int sealgate_signal_pipe(void) {
    if (signal_pipe[0] < 0) {
        if (pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK) != 0) return -1;
    }
    return signal_pipe[0];
}

int sealgate_catch_signal(int signo) {
    struct sigaction action = {0};
    action.sa_handler = note_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    return sigaction(signo, &action, NULL);
}

int sealgate_default_signal(int signo) {
    struct sigaction action = {0};
    action.sa_handler = SIG_DFL;
    sigemptyset(&action.sa_mask);
    return sigaction(signo, &action, NULL);
}
