// dsc: the DataSys Coin client (wallet, chain queries, validator status, monitor).
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return dsc::cli::RunCli(args, std::cout, std::cerr, dsc::cli::DefaultCliDeps());
}
