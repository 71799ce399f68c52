#!/bin/sh
# Stand-in for the runner's dependency installer (the real one installs .NET's native libraries).
echo "installdependencies: nothing to install for the stand-in runner"
