import { Library, type MeetingEntry } from '$lib/library/library';

/**
 * A page's live view of the library: opened on {@link start}, the meeting list kept current
 * (including changes from other tabs), closed by the returned function. For `onMount`.
 */
export class LibraryView {
	library = $state.raw<Library | null>(null);
	meetings = $state.raw<MeetingEntry[]>([]);
	/** false until the library has loaded (the page can tell "none yet" from "loading") */
	ready = $state(false);

	/** Opens the library; returns the function that closes it. */
	start(): () => void {
		let stop = () => {};
		let gone = false;
		void Library.open().then((opened) => {
			if (gone) return opened.destroy();
			this.library = opened;
			this.meetings = opened.meetings();
			this.ready = true;
			stop = opened.onChange(() => (this.meetings = opened.meetings()));
		});
		return () => {
			gone = true;
			stop();
			void this.library?.destroy();
			this.library = null;
		};
	}
}
