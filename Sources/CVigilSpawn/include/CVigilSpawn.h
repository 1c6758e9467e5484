// Starting a child process without inheriting anything by accident.
//
// Foundation's `Process` is not used: on Linux it lists /proc/self/fd in the parent to find
// the descriptors to close, and that listing reads past the end of its buffer once a process
// holds about 1,350 descriptors or more (a relay under load, or a test holding a thousand idle
// connections), which crashes the parent. posix_spawn with closefrom as its last file action
// closes every inherited descriptor in the child instead, without the parent looking.
#ifndef CVIGILSPAWN_H
#define CVIGILSPAWN_H

#include <sys/types.h>

/// Starts `path` with `argv` and `envp` (both NULL-terminated) in a new process group.
///
/// The child's descriptors 0, 1 and 2 are `standard[0..2]`: a descriptor of the parent to
/// duplicate, or -1 for /dev/null. Every other descriptor is closed in the child, its signal
/// mask is empty and every signal has its default action (an ignored SIGPIPE is not inherited).
/// `directory` is the child's working directory, or NULL for the parent's.
///
/// Returns 0 and sets `*pid`, or an errno value (ENOENT, EACCES, …) and starts nothing.
int vigil_spawn(pid_t *pid, const char *path, char *const argv[], char *const envp[],
                const int standard[3], const char *directory);

/// pipe2(fds, O_CLOEXEC): a pipe whose ends no exec'd program inherits. Returns 0 or an errno value.
int vigil_pipe_cloexec(int fds[2]);

#endif
