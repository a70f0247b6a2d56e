#!/usr/bin/env node
// The same launcher for scripts that call bin/lvsplay.js: lvsplay.cjs is the
// one package.json installs as `lvsplay`.
import "./lvsplay.cjs";
