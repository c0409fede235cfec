#ifndef CSODIUM_SHIM_H
#define CSODIUM_SHIM_H

#include <sodium.h>
#include <sys/prctl.h>
#include <sys/resource.h>

/// prctl is variadic, which Swift cannot call: keep a process that holds key material out of core dumps
/// and out of reach of ptrace by processes of the same uid.
static inline int sealgate_disable_core_dumps(void) {
    struct rlimit none = {0, 0};
    int rc = setrlimit(RLIMIT_CORE, &none);
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
        rc = -1;
    }
    return rc;
}

#endif
