namespace batchwire.interop;

// Each validation below gives a batch test a way to make one write fail on purpose, so that
// a changeset (or an atomicity group) fails and its other writes must be rolled back.

// A customer: the name is required, and the email has to look like an address.
entity Customers {
  key ID     : Integer;
      name   : String(100) @mandatory;
      email  : String(200) @assert.format: '^[^@ ]+@[^@ ]+[.][^@ ]+$';
      orders : Association to many Orders on orders.customer = $self;
}

// An order: its customer has to exist, and the amount has to lie between 0 and 1,000,000.
entity Orders {
  key ID       : Integer;
      customer : Association to Customers @assert.target;
      amount   : Decimal(10, 2) @assert.range: [0, 1000000];
}
