#include "cli/Command.h"

int main(int argc, char** argv) { return tributary::cli::runCli(argc, argv); }
