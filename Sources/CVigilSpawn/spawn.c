#define _GNU_SOURCE
#include "CVigilSpawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

int vigil_spawn(pid_t *pid, const char *path, char *const argv[], char *const envp[],
                const int standard[3], const char *directory) {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    int result = posix_spawn_file_actions_init(&actions);
    if (result != 0) return result;
    result = posix_spawnattr_init(&attributes);
    if (result != 0) {
        posix_spawn_file_actions_destroy(&actions);
        return result;
    }

    // A source among 0-2 could be overwritten by an earlier dup2 (stderr to our stdout while
    // stdout goes elsewhere): such sources are first copied above 2. Every stream gets its
    // dup2, also onto itself, which clears close-on-exec (a pipe may be given fd 0 when this
    // process started with stdin closed).
    int source[3];
    int copies[3] = {-1, -1, -1};
    for (int target = 0; target < 3 && result == 0; target++) {
        source[target] = standard[target];
        if (standard[target] >= 0 && standard[target] < 3 && standard[target] != target) {
            copies[target] = fcntl(standard[target], F_DUPFD_CLOEXEC, 3);
            if (copies[target] < 0) result = errno;
            source[target] = copies[target];
        }
    }
    for (int target = 0; target < 3 && result == 0; target++) {
        if (source[target] < 0) {
            result = posix_spawn_file_actions_addopen(&actions, target, "/dev/null", O_RDWR, 0);
        } else {
            result = posix_spawn_file_actions_adddup2(&actions, source[target], target);
        }
    }
    if (result == 0 && directory != NULL) {
        result = posix_spawn_file_actions_addchdir_np(&actions, directory);
    }
#if defined(__APPLE__)
    short flags = POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_CLOEXEC_DEFAULT;
#else
    // Last, so that the descriptors duplicated above are still open when they are duplicated.
    if (result == 0) result = posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    short flags = POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
#endif

    sigset_t empty, all;
    sigemptyset(&empty);
    sigfillset(&all);
    sigdelset(&all, SIGKILL);
    sigdelset(&all, SIGSTOP);
    if (result == 0) result = posix_spawnattr_setflags(&attributes, flags);
    if (result == 0) result = posix_spawnattr_setpgroup(&attributes, 0);
    if (result == 0) result = posix_spawnattr_setsigmask(&attributes, &empty);
    if (result == 0) result = posix_spawnattr_setsigdefault(&attributes, &all);
    if (result == 0) result = posix_spawn(pid, path, &actions, &attributes, argv, envp);

    for (int target = 0; target < 3; target++) {
        if (copies[target] >= 0) close(copies[target]);
    }
    posix_spawnattr_destroy(&attributes);
    posix_spawn_file_actions_destroy(&actions);
    return result;
}

int vigil_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC) == 0 ? 0 : errno;
}
