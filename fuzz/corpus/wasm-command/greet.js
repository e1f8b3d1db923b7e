function main(params) { return {}; }
