#define _GNU_SOURCE
#include <fcntl.h>
#include <unistd.h>

#include "clinuxcalls.h"

int sealgate_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}
