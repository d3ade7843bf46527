// nexus: the server and its command line. Everything lives in app/.
#include "app/app.h"

int main(int argc, char** argv) { return nexus::app::RunCli(argc, argv); }
