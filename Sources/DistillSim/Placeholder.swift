// generator goes here
