import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';
import svelteConfig from './svelte.config.js';

export default ts.config(
	{
		ignores: [
			'build/',
			'.svelte-kit/',
			'signaling/dist/',
			'node_modules/',
			'test-results/',
			'playwright-report/',
			'tests/.media/'
		]
	},
	js.configs.recommended,
	...ts.configs.recommended,
	...svelte.configs.recommended,
	prettier,
	...svelte.configs.prettier,
	{
		languageOptions: { globals: { ...globals.browser, ...globals.node } },
		rules: {
			'no-undef': 'off',
			'@typescript-eslint/no-unused-vars': [
				'error',
				{ argsIgnorePattern: '^_', varsIgnorePattern: '^_' }
			],
			// Managers keep private bookkeeping maps on purpose; what components read is exposed as
			// $state.raw snapshots, so SvelteMap/SvelteSet would only add proxies on hot paths.
			'svelte/prefer-svelte-reactivity': 'off',
			// Meeting paths carry their key in a `#k=` fragment, which resolve() cannot express;
			// they are built by meetingPath() (src/lib/ui/paths.ts), which does call resolve().
			'svelte/no-navigation-without-resolve': 'off'
		}
	},
	{
		files: ['**/*.svelte', '**/*.svelte.ts', '**/*.svelte.js'],
		languageOptions: {
			parserOptions: {
				projectService: true,
				extraFileExtensions: ['.svelte'],
				parser: ts.parser,
				svelteConfig
			}
		}
	}
);
