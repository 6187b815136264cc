// claude-jobs-tmux: the tmux backend's helper program, beside claude-jobs-runner.
//   claude-jobs-tmux pane --job-dir DIR --keep SEC --tmux PATH --socket NAME --session NAME
//                         --mode print|interactive -- RUNNER [ARGS...]
//       the program of a job's tmux pane (see pane.h)
//   claude-jobs-tmux hook --job-dir DIR
//       a Claude Code hook command: records the hook's event in the job folder (see hook.h)
#include <cstdio>
#include <cstring>

#include "hook.h"
#include "pane.h"

int main(int argc, char** argv) {
    if (argc >= 2 && std::strcmp(argv[1], "pane") == 0)
        return cj::tmux::run_pane(argc - 1, argv + 1);
    if (argc >= 2 && std::strcmp(argv[1], "hook") == 0)
        return cj::tmux::run_hook(argc - 1, argv + 1);
    std::fprintf(stderr,
                 "usage: claude-jobs-tmux pane --job-dir DIR --keep SEC --tmux PATH --socket NAME "
                 "--session NAME --mode print|interactive -- RUNNER [ARGS...]\n"
                 "       claude-jobs-tmux hook --job-dir DIR\n");
    return 2;
}
