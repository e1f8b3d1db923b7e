-- An action's entry point: the function a JavaScript action (kind nodejs:*) calls, exec.main in OpenWhisk's API;
-- null for WebAssembly actions and for JavaScript actions that use the default, main. Public deployment metadata.

ALTER TABLE actions ADD COLUMN main text;
