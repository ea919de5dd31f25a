#!/usr/bin/env node
console.log('hello from learn-io', process.argv.slice(2));
