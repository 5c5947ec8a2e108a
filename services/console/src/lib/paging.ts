// Keyset paging as the API does it: a page token leads to the next page,
// never an offset. The pager keeps the tokens of the pages seen so that
// "previous" goes back without the server's help.

export class KeysetPager {
  private tokens: string[] = [''];
  private at = 0;
  next?: string;

  /** token is the token of the current page ("" for the first). */
  get token(): string {
    return this.tokens[this.at];
  }
  get page(): number {
    return this.at + 1;
  }
  get hasPrev(): boolean {
    return this.at > 0;
  }
  get hasNext(): boolean {
    return !!this.next;
  }
  /** loaded records the next page's token of the page just read. */
  loaded(nextToken: string | undefined) {
    this.next = nextToken || undefined;
  }
  forward(): string {
    if (!this.next) return this.token;
    this.tokens = this.tokens.slice(0, this.at + 1);
    this.tokens.push(this.next);
    this.at++;
    return this.token;
  }
  back(): string {
    if (this.at > 0) this.at--;
    return this.token;
  }
  reset() {
    this.tokens = [''];
    this.at = 0;
    this.next = undefined;
  }
}
